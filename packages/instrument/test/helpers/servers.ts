/**
 * The real database servers the DB/cache tests use (`.ci/services` starts them on loopback). Outside CI
 * a missing server skips its tests with a loud message; with `CI` set it fails them: CI must never
 * pass by skipping.
 */
import { connect } from 'node:net';

export interface ServerInfo {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

const env = process.env;

export const POSTGRES: ServerInfo = { name: 'PostgreSQL', host: env['PGHOST'] ?? '127.0.0.1', port: 5432 };
export const MARIADB: ServerInfo = { name: 'MariaDB', host: env['MYSQL_HOST'] ?? '127.0.0.1', port: 3306 };
export const REDIS: ServerInfo = { name: 'Redis', host: env['REDIS_HOST'] ?? '127.0.0.1', port: 6379 };

/** Credentials of `.ci/services` (user, password and database are all `statskit`). */
export const CREDENTIALS = { user: 'statskit', password: 'statskit', database: 'statskit' } as const;

export const pgConfig = {
  host: POSTGRES.host,
  port: POSTGRES.port,
  ...CREDENTIALS,
};

export const mysqlConfig = {
  host: MARIADB.host,
  port: MARIADB.port,
  ...CREDENTIALS,
};

function canConnect(server: ServerInfo, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: server.host, port: server.port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether `server` accepts connections. In CI (`process.env.CI`) an unreachable server throws, which
 * fails the test file; elsewhere it prints why the tests are skipped and returns false.
 */
export async function serverUp(server: ServerInfo): Promise<boolean> {
  if (await canConnect(server)) return true;
  const what = `${server.name} is not reachable on ${server.host}:${server.port}`;
  if (env['CI']) throw new Error(`${what}: CI must run these tests (start it with .ci/services)`);
  console.warn(
    `\n!!! ${what}: SKIPPING its tests. Run \`bash .ci/services\` to start the test servers. !!!\n`,
  );
  return false;
}

/** A table name no other run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
}
