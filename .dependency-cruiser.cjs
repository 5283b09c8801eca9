// The layering of src/, checked by `npm run lint` (lint:deps, scripts/check-layers.mjs) and so by CI.
// Imports only point down: top (src/app.ts, src/cli) → http → modules → services → data/infra. Type-only
// imports count too (tsPreCompilationDeps): a loop through types is still a loop. CONTRIBUTING.md
// describes the layers.
const DATA_INFRA =
  '^src/(db|crypto|infra|observability)/|^src/(errors|log|text-rules|version)\\.ts$|^src/config';
const SERVICES =
  '^src/(auth|audit|oauth|clients|tenants|users|admin|mail|keys|tokens|security|cache|maintenance)/|^src/kernel/(?!module\\.ts$)';
/**
 * The feature-module contract names HTTP types (a module contributes routes and pages), so it sits with
 * the transport: services never import it; their contracts are the other files of src/kernel/.
 */
const MODULE_CONTRACT = '^src/kernel/module\\.ts$';
const TOP = '^src/cli/|^src/(app|composition)\\.ts$';
/** A module's HTTP side: its routes and hosted pages (routes*.ts, pages*.ts, or folders so named). */
const MODULE_HTTP = '^src/modules/[^/]+/(routes|pages)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import loop: split the shared part (often types) into a module both can import.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'data-infra-imports-nothing-above',
      comment:
        'Data and infrastructure (db, crypto, infra, observability, errors, log, config) are the bottom ' +
        'layer: they never import services, http, modules, the CLI or the app.',
      severity: 'error',
      from: { path: DATA_INFRA },
      to: { path: `${SERVICES}|^src/(http|modules)/|${TOP}` },
    },
    {
      name: 'services-import-no-transport',
      comment:
        'Services know nothing of HTTP or the CLI: no src/http, src/cli, src/app.ts, nor the routes or ' +
        'pages of a module. Move the shared type or function down into the service.',
      severity: 'error',
      from: { path: SERVICES },
      to: { path: `^src/http/|${TOP}|${MODULE_HTTP}|${MODULE_CONTRACT}` },
    },
    {
      name: 'http-imports-no-top',
      comment: 'The HTTP transport and the modules never import the CLI or the app that composes them.',
      severity: 'error',
      from: { path: '^src/(http|modules)/' },
      to: { path: TOP },
    },
    {
      name: 'modules-meet-through-index',
      comment: "A module uses another module only through that module's index.ts, never its internals.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'src-imports-no-tests',
      comment:
        "Shipped code never imports the tests or the benchmarks (a module's own *.test.ts may use test/support).",
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves: an import the checker cannot follow would escape every rule above.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
