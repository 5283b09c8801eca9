#!/usr/bin/env node
// `npm run lint:deps`: checks src/ against the import rules of .dependency-cruiser.cjs (no loops, imports
// only point down the layers, modules meet through their index.ts). Exit 1 on a violation.
//
// Runs dependency-cruiser through its API rather than its CLI, whose version guard refuses Node < 22
// even where the API works; with Node ≥ 22, `npx depcruise src` gives the same answer.
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

process.chdir(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));

const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
const tsConfig = extractTSConfig(options.tsConfig.fileName);
const result = await cruise(['src'], { ...options, outputType: 'err' }, undefined, { tsConfig });
process.stdout.write(String(result.output));
process.exitCode = result.exitCode === 0 ? 0 : 1;
