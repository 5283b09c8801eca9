// Response serializers compiled at the first answer that needs one, not at startup.
//
// Fastify compiles a fast-json-stringify function for every status code of every route's response schema
// when the routes are registered: here about 860 functions (4 MB of generated source, and their bytecode),
// most of them for error answers (400, 401, 403, 404, 429…) that a given route seldom or never sends, and
// each route twice (at the root and under /t/{tenant}). Deferring each one to its first use took about
// 6 MB off an idle server's heap and 13 MB off its resident memory (docs/benchmarks.md, "Idle memory");
// the first answer of a kind on a route pays the compile, about a millisecond.
//
// What does not change: the same compiler (Fastify's own, with the shared schemas) makes the same
// function from the same schema. A schema that cannot compile fails at its first answer instead of at
// startup, so the tests compile every one (compileAll, test/openapi/openapi.test.ts).
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serialize = (data: unknown) => string;

export class LazySerializers {
  /** Serializers not compiled yet, each as the function that compiles it (dropped once it has). */
  readonly #pending = new Set<() => Serialize>();

  /** Fastify's `schemaController.compilersFactory.buildSerializer`. */
  readonly factory: SerializerFactory = (externalSchemas, options) => {
    const compile = SerializerSelector()(externalSchemas, options);
    return (route) => {
      let serialize: Serialize | undefined;
      const build = (): Serialize => {
        try {
          serialize ??= compile(route);
        } catch (error) {
          const { method, url, httpStatus } = route as { method?: string; url?: string; httpStatus?: string };
          throw new Error(
            `the ${httpStatus} response schema of ${method} ${url} does not compile: ${(error as Error).message}`,
            { cause: error },
          );
        }
        this.#pending.delete(build);
        return serialize;
      };
      this.#pending.add(build);
      return (data: unknown) => (serialize ?? build())(data);
    };
  };

  /** Compiles every serializer not compiled yet; throws what the first one that cannot compile throws. */
  compileAll(): number {
    const pending = [...this.#pending];
    for (const build of pending) build();
    return pending.length;
  }
}
