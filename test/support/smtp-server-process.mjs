// A real SMTP server for tests, run as its own process by test/support/smtp.ts (`node smtp-server-process.mjs`).
// Listens on 127.0.0.1 on a free port, without TLS, accepts any (or no) login, and prints one JSON line per
// event on stdout: first {"listening": PORT}, then one line per accepted message
// ({ from, fromName, to, headerTo, subject, text, html, authUser }) and {"rejected": true} per refused one.
//
// SMTP_TEST_REJECT_FIRST=N  → the first N messages are refused with a temporary 451 error (retry tests).
// SMTP_TEST_USER, SMTP_TEST_PASSWORD → only this login is accepted (535 otherwise), and a login is required.
// The process exits on SIGTERM/SIGINT or when its stdin closes (the test process went away).
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

let rejectRemaining = Number(process.env.SMTP_TEST_REJECT_FIRST ?? '0') || 0;

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

const requiredUser = process.env.SMTP_TEST_USER;
const requiredPassword = process.env.SMTP_TEST_PASSWORD;

const server = new SMTPServer({
  authOptional: requiredUser === undefined,
  allowInsecureAuth: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  disableReverseLookup: true,
  onAuth(auth, _session, callback) {
    if (requiredUser !== undefined && (auth.username !== requiredUser || auth.password !== requiredPassword))
      return callback(new Error('Invalid username or password'));
    callback(null, { user: auth.username ?? 'anonymous' });
  },
  onData(stream, session, callback) {
    if (rejectRemaining > 0) {
      rejectRemaining--;
      stream.on('end', () => {
        emit({ rejected: true });
        const error = new Error('Temporary failure, try again later');
        error.responseCode = 451;
        callback(error);
      });
      stream.resume();
      return;
    }
    simpleParser(stream).then(
      (mail) => {
        emit({
          from: mail.from?.value[0]?.address ?? '',
          fromName: mail.from?.value[0]?.name ?? '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          headerTo: Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? ''),
          subject: mail.subject ?? '',
          text: mail.text ?? '',
          html: typeof mail.html === 'string' ? mail.html : '',
          authUser: session.user ?? null,
        });
        callback();
      },
      (error) => callback(error),
    );
  },
});

server.on('error', (error) => process.stderr.write(`smtp server error: ${error.message}\n`));

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();

server.listen(0, '127.0.0.1', () => emit({ listening: server.server.address().port }));
