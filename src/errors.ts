// Domain errors: every failure a service reports carries a stable snake_case `code` (the `error` of the
// documented error JSON) and a human description. The HTTP layer maps codes to statuses in one place.

export class HelloJohnError extends Error {
  override readonly name: string = 'HelloJohnError';
  constructor(
    readonly code: string,
    readonly description: string,
    options?: ErrorOptions,
  ) {
    super(description, options);
  }
}

/** The database (or another required dependency) cannot be reached right now; retrying later may work. */
export class ServiceUnavailableError extends HelloJohnError {
  override readonly name = 'ServiceUnavailableError';
  constructor(
    description: string,
    readonly retryAfterSeconds = 5,
    options?: ErrorOptions,
  ) {
    super('service_unavailable', description, options);
  }
}

/** A problem with the schema the binary finds in the database: pending, edited or unknown migrations. */
export class MigrationError extends HelloJohnError {
  override readonly name = 'MigrationError';
  constructor(description: string, options?: ErrorOptions) {
    super('migration_error', description, options);
  }
}
