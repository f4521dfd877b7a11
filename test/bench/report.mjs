/** The bench's numbers: medians, MB/s (10^6 bytes per second), and the printed tables. */

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** { medianSeconds, mbPerSecond, seconds } for moving `bytes` once per sample. */
export function throughput(seconds, bytes) {
  const medianSeconds = median(seconds);
  return { medianSeconds, mbPerSecond: bytes / 1e6 / medianSeconds, seconds };
}

/**
 * The best ratio this machine allows any implementation over node:crypto, from this run's own
 * figures: each side must do the raw copy's work (socket, page cache, disk) and, to every byte,
 * AES-256-GCM and SHA-256 (opening costs what sealing does). The two processes share the cores,
 * so the transfer cannot take less than all that CPU time spread perfectly over them, nor less
 * than the raw copy. Null if the children's CPU time could not be read.
 */
export function ratioBound(raw, limit, cpus) {
  const { send, receive } = raw.cpuSeconds;
  if (send === null || receive === null) return null;
  const cpuSeconds = send + receive + 2 * limit.sealAndSha256.medianSeconds;
  const floorSeconds = Math.max(raw.medianSeconds, cpuSeconds / cpus);
  return { cpus, cpuSeconds, floorSeconds, bestThroughputRatio: raw.medianSeconds / floorSeconds };
}

const MIB = 1024 * 1024;

export function formatSize(bytes) {
  const units = [['GiB', 1024 ** 3], ['MiB', MIB], ['KiB', 1024]];
  const [unit, scale] = units.find(([, scale]) => bytes >= scale) ?? ['bytes', 1];
  return scale === 1 ? `${bytes} bytes` : `${+(bytes / scale).toFixed(2)} ${unit}`;
}

const fixed = (value, digits) => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));
const mib = (bytes) => (bytes === null ? 'n/a' : (bytes / MIB).toFixed(1));

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length)));
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column]))).join('   ').trimEnd())
    .join('\n');
}

const list = (values, digits) => values.map((v) => fixed(v, digits)).join(' ');

function throughputRow(label, result) {
  const { medianSeconds, mbPerSecond, seconds, disturbance } = result;
  const others = list(disturbance.map((d) => d.otherCpuSeconds), 2);
  const steal = list(disturbance.map((d) => d.stealSeconds), 2);
  return [label, fixed(medianSeconds, 3), fixed(mbPerSecond, 1), list(seconds, 3), others, steal];
}

/** The tables of the sections that ran (`--only` may have left some out), in the bench's order. */
export function renderReport(results) {
  const { file, runs, environment: env } = results;
  const what = file === undefined ? '' : `${formatSize(file.bytes)} (${file.bytes} bytes) of random data `;
  const header = [
    `sealdrop bench (${env.commit}): ${what}on 127.0.0.1, ${runs} run(s) each, medians`,
    `Node ${env.node}, ${env.platform}, ${env.cpus} × ${env.cpuModel}; files in ${env.directory}; child CPU and RSS by ${env.usageMethod}`,
    `during the bench's ${env.benchSeconds.toFixed(1)} s, other processes used ${fixed(env.disturbance.otherCpuSeconds, 1)} CPU s and the hypervisor stole ${fixed(env.disturbance.stealSeconds, 1)} CPU s`,
    ...(env.nodeExtraCaCerts
      ? ["NODE_EXTRA_CA_CERTS is set: every Node process here reads that bundle before it starts (about 100 ms on the development VM), so start-up times include it; the rows beyond start-up do not"]
      : []),
  ].join('\n');
  const sections = [
    header,
    ...(results.sealdrop ? throughputTables(results) : []),
    ...(results.pipes ? [pipesTable(results.pipes)] : []),
    ...(results.relayed ? [relayedTable(results.relayed)] : []),
    ...(results.small && results.handshake ? [latencyTable(results)] : []),
    ...(results.manyFiles ? [manyFilesTable(results)] : []),
    ...(results.sealdrop && results.small && results.handshake ? [targetTable(results)] : []),
    ...(results.relay ? [relayTable(results.relay)] : []),
  ];
  return sections.join('\n\n');
}

function throughputTables(results) {
  const { limit, raw, sealdrop } = results;
  const speeds = table([
    ['throughput', 'median s', 'MB/s', 'runs (s)', 'other processes CPU s', 'steal s'],
    throughputRow('limit: AES-256-GCM seal, 256 KiB records', limit.aesGcmSeal),
    throughputRow('limit: SHA-256, 256 KiB pieces', limit.sha256),
    throughputRow('limit: seal + SHA-256 on one core', limit.sealAndSha256),
    throughputRow('raw: plain TCP copy, 2 processes', raw),
    throughputRow('sealdrop: receive + send, 2 processes', sealdrop),
  ]);
  const { ratioBound: bound } = results;
  const ratios = table([
    ['ratio', 'value', 'how'],
    ['sealdrop / raw, throughput', fixed(results.sealdropToRawThroughputRatio, 2), 'raw median s / sealdrop median s'],
    [
      'upper bound on this machine',
      fixed(bound?.bestThroughputRatio ?? null, 2),
      bound === null
        ? 'needs the children\'s CPU time'
        : `raw s / max(raw s, (raw CPU s + 2 × (seal + SHA-256) s) / ${bound.cpus} cores) = ${fixed(raw.medianSeconds, 2)} / ${fixed(bound.floorSeconds, 2)}`,
    ],
  ]);

  const perProcess = (label, result) => [
    label,
    fixed(result.cpuSeconds.send, 2),
    fixed(result.cpuSeconds.receive, 2),
    mib(result.peakRssBytes.send),
    mib(result.peakRssBytes.receive),
  ];
  const processes = table([
    ['per process', 'send CPU s', 'receive CPU s', 'send peak RSS MiB', 'receive peak RSS MiB'],
    perProcess('raw', raw),
    perProcess('sealdrop', sealdrop),
  ]);
  const processesNote = 'CPU: user + system, median of the runs; peak RSS: the highest run';
  return [speeds, ratios, `${processes}\n(${processesNote})`];
}

function pipesTable(pipes) {
  const pipeRow = (result) => [
    `sealdrop: send - | receive --stdout, ${formatSize(result.bytes)}`,
    fixed(result.medianSeconds, 3),
    fixed(result.mbPerSecond, 1),
    mib(result.peakRssBytes.send),
    mib(result.peakRssBytes.receive),
    list(result.seconds, 3),
  ];
  const rows = table([
    ['pipes (section 11)', 'median s', 'MB/s', 'send peak RSS MiB', 'receive peak RSS MiB', 'runs (s)'],
    pipeRow(pipes.small),
    pipeRow(pipes.large),
  ]);
  const pipesNote = 'peak RSS: the highest run; it should not grow with the size';
  return `${rows}\n(${pipesNote})`;
}

/** Issue 12: throughput through the relay at least this share of direct, on the bench's machine. */
const RELAYED_THROUGHPUT_RATIO = 0.8;

function relayedTable({ direct, relayed, relayedToDirectThroughputRatio: ratio, relayCpuSecondsPerGiB, relayPeakRssBytes, relayNodeOptions }) {
  const rows = table([
    ['relayed (section 9), the same file', 'median s', 'MB/s', 'runs (s)', 'other processes CPU s', 'steal s'],
    throughputRow('sealdrop directly: receive --port + send --to', direct),
    throughputRow('sealdrop through one relay: --relay both sides', relayed),
  ]);
  const goals = table([
    ['relayed', 'this run', 'goal (issue 12)', 'met'],
    ['through the relay / directly, throughput', fixed(ratio, 2), `>= ${RELAYED_THROUGHPUT_RATIO}`, ratio >= RELAYED_THROUGHPUT_RATIO ? 'yes' : 'no'],
    ['relay CPU s per GiB relayed (user + system)', fixed(relayCpuSecondsPerGiB, 2), '', ''],
    ['relay peak RSS MiB (VmHWM)', mib(relayPeakRssBytes), '', ''],
  ]);
  const relayedNote = `in turn run by run; the relay, with NODE_OPTIONS=${relayNodeOptions}, shares the cores with both peers; its own CPU time is not counted among the other processes`;
  return `${rows}\n${goals}\n(${relayedNote})`;
}

const ms = (seconds) => fixed(seconds * 1000, 1);

function latencyTable({ small, handshake }) {
  return table([
    ['latency', 'median ms', 'samples'],
    ["bare Node start-up: node -e ''", ms(small.bareNodeStartup.medianSeconds), small.runs],
    ['CLI start-up: node bin/sealdrop --version', ms(small.nodeStartup.medianSeconds), small.runs],
    ['empty file: wall of the send process', ms(small.emptyFile.sendMedianSeconds), small.runs],
    ['empty file: beyond CLI start-up (the transfer)', ms(small.emptyFile.beyondStartupSeconds), small.runs],
    ['empty file: beyond bare Node start-up', ms(small.emptyFile.beyondBareNodeSeconds), small.runs],
    ['1-byte file: wall of the send process', ms(small.oneByteFile.sendMedianSeconds), small.runs],
    ['1-byte file: beyond CLI start-up (the transfer)', ms(small.oneByteFile.beyondStartupSeconds), small.runs],
    ['1-byte file: beyond bare Node start-up', ms(small.oneByteFile.beyondBareNodeSeconds), small.runs],
    ['handshake CPU, in-process: full pair (both sides)', fixed(handshake.pairMs, 1), handshake.pairs],
    ['handshake CPU, in-process: initiator side', fixed(handshake.initiatorMs, 1), handshake.pairs],
    ['handshake CPU, in-process: responder side', fixed(handshake.responderMs, 1), handshake.pairs],
    ['handshake wall, connect to first record, real receiver', fixed(handshake.wallMs, 1), handshake.wallRuns],
  ]);
}

function manyFilesTable({ manyFiles, small }) {
  return table([
    ['many small files', 'median s', 'files/s', 'ms per file beyond an empty file', 'runs (s)'],
    [
      `sealdrop: a directory of ${manyFiles.count} files of ${formatSize(manyFiles.bytesEach)}`,
      fixed(manyFiles.medianSeconds, 3),
      fixed(manyFiles.filesPerSecond, 0),
      // What each file adds to a transfer, start-up and handshake (the empty file's send) apart.
      small ? fixed(((manyFiles.medianSeconds - small.emptyFile.sendMedianSeconds) * 1000) / manyFiles.count, 2) : 'n/a',
      list(manyFiles.seconds, 3),
    ],
  ]);
}

/** The speed issue's targets, as this run measured them (the flatness of RSS across sizes takes several runs). */
const TARGETS = { throughputRatio: 0.7, handshakeCpuMs: 30, handshakeWallMs: 60, peakRssMiB: 120, smallFileMs: 150 };

function targetTable({ sealdropToRawThroughputRatio: ratio, ratioBound: bound, sealdrop, small, handshake }) {
  const ms = (value) => `${fixed(value, 1)} ms`;
  const verdict = (met) => (met === null ? 'n/a' : met ? 'yes' : 'no');
  const slowerSmallFileMs = (key) => Math.max(small.emptyFile[key], small.oneByteFile[key]) * 1000;
  const { send, receive } = sealdrop.peakRssBytes;
  const peakBytes = send === null || receive === null ? null : Math.max(send, receive);
  const handshakeCpuMs = Math.max(handshake.initiatorMs, handshake.responderMs);
  const beyondCliMs = slowerSmallFileMs('beyondStartupSeconds');
  const beyondNodeMs = slowerSmallFileMs('beyondBareNodeSeconds');
  return table([
    ['target (the speed issue)', 'goal', 'this run', 'met'],
    ['sealdrop / raw, throughput', `>= ${TARGETS.throughputRatio}`, `${fixed(ratio, 2)} (bound ${fixed(bound?.bestThroughputRatio, 2)})`, verdict(ratio >= TARGETS.throughputRatio)],
    ['handshake CPU, the busier side', `<= ${TARGETS.handshakeCpuMs} ms`, ms(handshakeCpuMs), verdict(handshakeCpuMs <= TARGETS.handshakeCpuMs)],
    ['handshake wall', `<= ${TARGETS.handshakeWallMs} ms`, ms(handshake.wallMs), verdict(handshake.wallMs <= TARGETS.handshakeWallMs)],
    ['peak RSS, the bigger process', `<= ${TARGETS.peakRssMiB} MiB`, `${mib(peakBytes)} MiB`, verdict(peakBytes === null ? null : peakBytes / MIB <= TARGETS.peakRssMiB)],
    ['empty and 1-byte file, beyond CLI start-up', `<= ${TARGETS.smallFileMs} ms`, ms(beyondCliMs), verdict(beyondCliMs <= TARGETS.smallFileMs)],
    ['empty and 1-byte file, beyond bare Node start-up', `<= ${TARGETS.smallFileMs} ms`, ms(beyondNodeMs), verdict(beyondNodeMs <= TARGETS.smallFileMs)],
  ]);
}

/** Issue 12: the relay's peak RSS with its pairs at once. */
const RELAY_PEAK_RSS_MIB = 200;

function relayTable({ options, nodeOptions, load, idle }) {
  const slash = (...values) => values.join(' / ');
  const peakMiB = load.rssBytes.peak / MIB;
  const rows = table([
    ['relay (section 9), one sealdrop relay process', 'this run', 'goal (issue 12)', 'met'],
    [`${load.pairs} pairs at once, ${formatSize(load.bytesEach)} each host to guest: intact`, `${load.pairs} of ${load.pairs}`, 'all', 'yes'],
    ['time s: pairing / copying / first connection to idle', slash(fixed(load.pairingSeconds, 2), fixed(load.copySeconds, 2), fixed(load.totalSeconds, 2)), '', ''],
    ['copying, MB/s through the relay', fixed(load.copyMbPerSecond, 1), '', ''],
    ['relay CPU s per GiB copied (user + system)', fixed(load.cpuSecondsPerGiB, 2), '', ''],
    ['relay RSS MiB: start / peak', slash(mib(load.rssBytes.start), mib(load.rssBytes.peak)), `peak <= ${RELAY_PEAK_RSS_MIB}`, peakMiB <= RELAY_PEAK_RSS_MIB ? 'yes' : 'no'],
    [`relay RSS MiB idle again: after ${load.restSeconds.after} s / ${load.restSeconds.rested} s`, slash(mib(load.rssBytes.after), mib(load.rssBytes.rested)), 'near the start', ''],
    ['idle again: pairs / nameplates held, by its log', slash(load.idle.pairs, load.idle.nameplates), '0 / 0', load.idle.pairs === 0 && load.idle.nameplates === 0 ? 'yes' : 'no'],
    [`${idle.count} idle posted connections: RSS MiB before / with / released`, slash(mib(idle.rssBytes.before), mib(idle.rssBytes.withPosted), mib(idle.rssBytes.after)), '', ''],
    ['relay RSS per posted connection', `${fixed(idle.rssBytesPerPosted / 1024, 1)} KiB`, '', ''],
  ]);
  const disturbance = `other processes used ${fixed(load.disturbance.otherCpuSeconds, 1)} CPU s during the pairs`;
  return `${rows}\n(raw relay clients in ${load.workers} and ${idle.workers} processes; relay options ${options}, NODE_OPTIONS=${nodeOptions}; ${disturbance})`;
}
