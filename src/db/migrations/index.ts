// Every migration the binary ships, in order. Bundled as modules: nothing is discovered on disk at run time.
import { migration as m0001 } from './0001_core.js';
import { migration as m0002 } from './0002_auth.js';
import { migration as m0003 } from './0003_oauth.js';
import { migration as m0004 } from './0004_planned_once.js';
import { migration as m0005 } from './0005_rotation_plan.js';
import { migration as m0006 } from './0006_client_rules.js';
import { migration as m0007 } from './0007_offline_grants.js';
import { migration as m0008 } from './0008_audit_retention.js';
import { migration as m0009 } from './0009_sessions_revoked_at.js';
import { migration as m0012 } from './0012_default_acr_values.js';
import { migration as m0019 } from './0019_audit_by_id.js';
import { migration as m0020 } from './0020_api_keys.js';
import { migration as m0023 } from './0023_sealed_codes.js';
import { migration as m0024 } from './0024_login_writes.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

export const migrations: readonly Migration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
  m0009,
  m0012,
  m0019,
  m0020,
  m0023,
  m0024,
];
