// "Recent sign-in": sensitive changes (a new password, removing the last second factor) need a session whose
// sign-in (auth_time) is at most SESSION_RECENT_LOGIN old, so a browser left signed in is not enough to
// take the account over. Every module asks the same rule through CoreServices.recentSignIn.
import type { Config } from '../config.js';
import { HelloJohnError } from '../errors.js';

export class RecentSignIn {
  constructor(private readonly config: Pick<Config['sessions'], 'recentLoginMs'>) {}

  /** How long a sign-in counts as recent. */
  get windowMs(): number {
    return this.config.recentLoginMs;
  }

  /** Whether the session signed in within the window (a clock running behind counts as recent, too). */
  isRecentSignIn(session: { auth_time: Date }, now: Date = new Date()): boolean {
    return now.getTime() - session.auth_time.getTime() <= this.config.recentLoginMs;
  }

  /** Throws login_required unless the sign-in is recent; `what` completes "Sign in again to …". */
  require(session: { auth_time: Date }, what: string, now: Date = new Date()): void {
    if (!this.isRecentSignIn(session, now))
      throw new HelloJohnError('login_required', `Confirm it’s you: sign in again to ${what}.`);
  }
}
