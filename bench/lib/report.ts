// Turning measurements into the results table: the same Markdown goes to the terminal and into a marked
// section of docs/benchmarks.md (`<!-- bench:<id>:start -->` … `<!-- bench:<id>:end -->`), so each
// suite owns one section and re-running a suite replaces only its own.
import { readFile, writeFile } from 'node:fs/promises';
import { clean, problems, type Measurement } from './load.js';

export type Target =
  /** Our successful req/s at least `min` times the peer's. */
  | { kind: 'ratio'; min: number }
  /** Absolute throughput and tail latency on this machine. */
  | { kind: 'absolute'; minRps: number; maxP99Ms: number }
  /** CPU per answer (server + PostgreSQL) at most `maxShare` of another scenario's, measured in the same run. */
  | { kind: 'cpu'; maxShare: number; of: { scenario: string; outcome: Outcome } }
  /** CPU per answer (server + PostgreSQL) at most `maxShare` of a cost measured on its own (`ms`). */
  | { kind: 'cpuCost'; maxShare: number; of: { name: string; ms: number | undefined } };

export type Outcome = Measurement | { error: string };

export interface Side {
  /** What was run, e.g. `POST /v2/auth/login`. */
  label: string;
  outcome: Outcome;
}

export interface Row {
  scenario: string;
  ours: Side;
  peer?: Side;
  target: Target;
}

export interface SectionReport {
  id: string;
  title: string;
  ourName: string;
  peerName: string;
  rows: Row[];
  /** Free-form lines printed under the table (setup, what is compared with what). */
  notes: string[];
}

export interface RunInfo {
  date: string;
  machine: string;
  versions: string;
  command: string;
  settings: string;
  /** Set when the machine was already busy before the run: the numbers are then not representative. */
  warning?: string;
}

function isMeasurement(outcome: Outcome | undefined): outcome is Measurement {
  return outcome !== undefined && !('error' in outcome);
}

/** CPU per answer, server and PostgreSQL together, in milliseconds. */
export function cpuPerAnswerMs(outcome: Outcome | undefined): number | undefined {
  if (!isMeasurement(outcome) || !outcome.cpu || outcome.requests === 0) return undefined;
  return ((outcome.cpu.server + outcome.cpu.postgres) * 1000) / outcome.requests;
}

/** A cpu or cpuCost target's share: this row's CPU per answer over the other scenario's, or the cost's. */
function cpuShare(row: Row): number | undefined {
  if (row.target.kind !== 'cpu' && row.target.kind !== 'cpuCost') return undefined;
  const ours = cpuPerAnswerMs(row.ours.outcome);
  const base = row.target.kind === 'cpu' ? cpuPerAnswerMs(row.target.of.outcome) : row.target.of.ms;
  return ours === undefined || base === undefined || base <= 0 ? undefined : ours / base;
}

export function ratio(row: Row): number | undefined {
  const ours = row.ours.outcome;
  const peer = row.peer?.outcome;
  if (!isMeasurement(ours) || !isMeasurement(peer) || peer.rps <= 0) return undefined;
  return ours.rps / peer.rps;
}

/** true/false when it can be judged; undefined when a side failed to run at all. */
export function targetMet(row: Row): boolean | undefined {
  const ours = row.ours.outcome;
  if (!isMeasurement(ours)) return undefined;
  if (!clean(ours)) return false;
  if (row.target.kind === 'absolute') {
    return ours.rps >= row.target.minRps && ours.p99 < row.target.maxP99Ms;
  }
  if (row.target.kind === 'cpuCost') {
    const share = cpuShare(row);
    return share === undefined ? undefined : share <= row.target.maxShare;
  }
  if (row.target.kind === 'cpu') {
    const base = row.target.of.outcome;
    if (!isMeasurement(base) || !clean(base)) return undefined;
    const share = cpuShare(row);
    return share === undefined ? undefined : share <= row.target.maxShare;
  }
  const peer = row.peer?.outcome;
  if (!isMeasurement(peer) || !clean(peer)) return undefined;
  const r = ratio(row);
  return r !== undefined && r >= row.target.min;
}

export function describeTarget(target: Target): string {
  if (target.kind === 'ratio') return `≥ ${target.min}× peer`;
  if (target.kind === 'cpu')
    return `CPU ≤ ${Math.round(target.maxShare * 100)}% of ${target.of.scenario.toLowerCase()}`;
  if (target.kind === 'cpuCost') return `CPU ≤ ${target.maxShare}× ${target.of.name}`;
  return `≥ ${target.minRps.toLocaleString('en-US')}/s, p99 < ${target.maxP99Ms} ms`;
}

function rps(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

function ms(value: number): string {
  return value >= 10 ? String(Math.round(value)) : value.toFixed(1);
}

function cells(outcome: Outcome | undefined): [string, string, string] {
  if (outcome === undefined) return ['—', '—', '—'];
  if (!isMeasurement(outcome)) return ['failed ¹', '—', '—'];
  const mark = clean(outcome) ? '' : ' ⚠';
  return [`${rps(outcome.rps)}${mark}`, ms(outcome.p50), ms(outcome.p99)];
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** Failures and errored runs, one line each, so nothing in the table is left unexplained. */
function problemLines(section: SectionReport): string[] {
  const lines: string[] = [];
  for (const row of section.rows) {
    const sides: [string, Side | undefined][] = [
      [section.ourName, row.ours],
      [section.peerName, row.peer],
    ];
    for (const [name, side] of sides) {
      if (!side) continue;
      const outcome = side.outcome;
      if (!isMeasurement(outcome)) {
        lines.push(
          `- ¹ ${row.scenario}, ${name} (${side.label}): could not run: ${escapeCell(outcome.error)}`,
        );
      } else if (!clean(outcome)) {
        const samples = outcome.failureSamples.length
          ? `; e.g. \`${escapeCell(outcome.failureSamples[0] ?? '').replace(/`/g, "'")}\``
          : '';
        lines.push(
          `- ⚠ ${row.scenario}, ${name} (${side.label}): ${problems(outcome)} of ${outcome.requests} answers${samples}`,
        );
      }
    }
  }
  return lines;
}

export function renderTable(section: SectionReport): string {
  const header = [
    'Scenario',
    `${section.ourName} req/s`,
    'p50 ms',
    'p99 ms',
    `${section.peerName} (peer) scenario`,
    'req/s',
    'p50 ms',
    'p99 ms',
    'Ratio',
    'Target',
    'Met?',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 || i === 4 || i === 9 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const row of section.rows) {
    const r = ratio(row);
    const share = cpuShare(row);
    const met = targetMet(row);
    const line = [
      `${row.scenario} (\`${row.ours.label}\`)`,
      ...cells(row.ours.outcome),
      row.peer ? `\`${row.peer.label}\`` : '—',
      ...cells(row.peer?.outcome),
      r !== undefined
        ? `${r.toFixed(2)}×`
        : share === undefined
          ? '—'
          : row.target.kind === 'cpuCost'
            ? `${share.toFixed(2)}× CPU`
            : `${Math.round(share * 100)}% CPU`,
      describeTarget(row.target),
      met === undefined ? 'n/a' : met ? 'yes' : '**no**',
    ];
    lines.push(`| ${line.map(escapeCell).join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderSection(section: SectionReport, info: RunInfo): string {
  const parts = [
    `### ${section.title}`,
    '',
    `- Date: ${info.date}`,
    `- Machine: ${info.machine}`,
    `- Versions: ${info.versions}`,
    `- Command: \`${info.command}\``,
    `- Settings: ${info.settings}`,
    ...(info.warning ? [`- ⚠ ${info.warning}`] : []),
    '',
    renderTable(section),
  ];
  const problemsList = problemLines(section);
  if (problemsList.length > 0) parts.push('', ...problemsList);
  if (section.notes.length > 0) parts.push('', ...section.notes.map((n) => `- ${n}`));
  return parts.join('\n');
}

export function markers(id: string): { start: string; end: string } {
  return { start: `<!-- bench:${id}:start -->`, end: `<!-- bench:${id}:end -->` };
}

/** Replaces the marked section of the document (appending it when the markers are missing). */
export function replaceSection(document: string, id: string, content: string): string {
  const { start, end } = markers(id);
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  const block = `${start}\n${content.trim()}\n${end}`;
  if (from === -1 || to === -1 || to < from) {
    return `${document.trimEnd()}\n\n${block}\n`;
  }
  return `${document.slice(0, from)}${block}${document.slice(to + end.length)}`;
}

export async function writeSection(file: string, id: string, content: string): Promise<void> {
  let document = '# Benchmarks\n';
  try {
    document = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFile(file, replaceSection(document, id, content));
}
