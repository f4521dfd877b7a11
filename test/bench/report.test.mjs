// The bench's arithmetic and tables (the bench itself runs only under `npm run bench`).
import { describe, expect, it } from 'vitest';
import { formatSize, median, ratioBound, renderReport, throughput } from './report.mjs';

describe('median', () => {
  it('takes the middle of an odd count and the mean of the two middles of an even one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('leaves its input in order', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('throughput', () => {
  it('gives MB/s (10^6 bytes) from the median time', () => {
    expect(throughput([4, 2, 3], 6e6)).toEqual({ medianSeconds: 3, mbPerSecond: 2, seconds: [4, 2, 3] });
  });
});

describe('formatSize', () => {
  it('uses the largest binary unit that fits', () => {
    expect(formatSize(1024 ** 3)).toBe('1 GiB');
    expect(formatSize(256 * 1024 ** 2)).toBe('256 MiB');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(1)).toBe('1 bytes');
  });
});

const transfer = (medianSeconds, send, receive) => ({ medianSeconds, cpuSeconds: { send, receive } });
const limitOf = (sealAndSha256Seconds) => ({ sealAndSha256: { medianSeconds: sealAndSha256Seconds } });

describe('ratioBound', () => {
  it('spreads the raw copy’s CPU and the crypto of both sides over the cores', () => {
    // 1 + 2 CPU-s of raw work, 2 × 2.5 s of crypto: 8 CPU-s on 2 cores take at least 4 s.
    expect(ratioBound(transfer(2, 1, 2), limitOf(2.5), 2)).toEqual({ cpus: 2, cpuSeconds: 8, floorSeconds: 4, bestThroughputRatio: 0.5 });
  });

  it('never promises more than the raw copy’s own speed', () => {
    expect(ratioBound(transfer(2, 0.5, 0.5), limitOf(0.5), 4).bestThroughputRatio).toBe(1);
  });

  it('is unknown without the children’s CPU time', () => {
    expect(ratioBound(transfer(2, null, 1), limitOf(1), 2)).toBeNull();
  });
});

describe('renderReport', () => {
  const disturbance = [{ otherCpuSeconds: 0, stealSeconds: 0.1 }];
  const speed = (medianSeconds) => ({ ...throughput([medianSeconds], 1e9), disturbance });
  const side = (medianSeconds, send, receive) => ({ ...speed(medianSeconds), ...transfer(medianSeconds, send, receive), peakRssBytes: { send: 100 * 2 ** 20, receive: 90 * 2 ** 20 } });
  const small = { runs: 9, medianSeconds: 0.15, sendMedianSeconds: 0.4, beyondStartupSeconds: 0.13, beyondBareNodeSeconds: 0.25 };
  const results = {
    file: { bytes: 1e9 },
    runs: 1,
    environment: { commit: 'abc1234', node: 'v20.20.2', platform: 'linux x64', cpus: 2, cpuModel: 'CPU', directory: '/dev/shm', usageMethod: 'time', benchSeconds: 60, disturbance: disturbance[0] },
    limit: { aesGcmSeal: speed(1.5), sha256: speed(1), sealAndSha256: speed(2.5) },
    raw: side(2, 1, 2),
    sealdrop: side(5, 3.5, 4.2),
    sealdropToRawThroughputRatio: 0.4,
    ratioBound: ratioBound(transfer(2, 1, 2), limitOf(2.5), 2),
    pipes: {
      small: { bytes: 2 * 2 ** 20, ...throughput([0.5], 2 * 2 ** 20), peakRssBytes: { send: 60 * 2 ** 20, receive: 55 * 2 ** 20 } },
      large: { bytes: 1e9, ...speed(5), peakRssBytes: { send: 61 * 2 ** 20, receive: null } },
    },
    small: { runs: 9, bareNodeStartup: small, nodeStartup: small, emptyFile: small, oneByteFile: small },
    manyFiles: { count: 1000, bytesEach: 4096, medianSeconds: 2.5, filesPerSecond: 400, seconds: [2.5] },
    handshake: { pairs: 20, pairMs: 17.6, initiatorMs: 8.7, responderMs: 8.8, wallRuns: 5, wallMs: 28.9 },
  };

  it('prints the throughput ratio next to the bound this machine puts on it', () => {
    const report = renderReport(results);
    expect(report).toMatch(/^sealdrop \/ raw, throughput +0\.40 /m);
    expect(report).toMatch(/^upper bound on this machine +0\.50 .* 2 cores\) = 2\.00 \/ 4\.00$/m);
  });

  it('gives both pipe sizes with each side\'s peak RSS', () => {
    const report = renderReport(results);
    expect(report).toMatch(/^sealdrop: send - \| receive --stdout, 2 MiB +0\.500 +4\.2 +60\.0 +55\.0 +0\.500$/m);
    expect(report).toMatch(/^sealdrop: send - \| receive --stdout, 953\.67 MiB +5\.000 +200\.0 +61\.0 +n\/a +5\.000$/m);
  });

  it('gives the many-files run per file', () => {
    // (2.5 s - 0.4 s for an empty file) / 1000 files
    expect(renderReport(results)).toMatch(/^sealdrop: a directory of 1000 files of 4 KiB +2\.500 +400 +2\.10 +2\.500$/m);
  });

  it('holds the run against the speed issue\'s targets, the slower of the two small files counting', () => {
    const report = renderReport({
      ...results,
      small: { ...results.small, emptyFile: { ...small, beyondStartupSeconds: 0.12 }, oneByteFile: { ...small, beyondStartupSeconds: 0.16 } },
    });
    expect(report).toMatch(/^sealdrop \/ raw, throughput +>= 0\.7 +0\.40 \(bound 0\.50\) +no$/m);
    expect(report).toMatch(/^handshake CPU, the busier side +<= 30 ms +8\.8 ms +yes$/m);
    expect(report).toMatch(/^handshake wall +<= 60 ms +28\.9 ms +yes$/m);
    expect(report).toMatch(/^peak RSS, the bigger process +<= 120 MiB +100\.0 MiB +yes$/m);
    expect(report).toMatch(/^empty and 1-byte file, beyond CLI start-up +<= 150 ms +160\.0 ms +no$/m);
    expect(report).toMatch(/^empty and 1-byte file, beyond bare Node start-up +<= 150 ms +250\.0 ms +no$/m);
    expect(renderReport({ ...results, sealdrop: { ...results.sealdrop, peakRssBytes: { send: null, receive: 1 } } })).toMatch(/^peak RSS, the bigger process +<= 120 MiB +n\/a MiB +n\/a$/m);
  });

  it('says when every start-up time includes reading NODE_EXTRA_CA_CERTS', () => {
    expect(renderReport(results)).not.toMatch(/NODE_EXTRA_CA_CERTS/);
    expect(renderReport({ ...results, environment: { ...results.environment, nodeExtraCaCerts: true } })).toMatch(/^NODE_EXTRA_CA_CERTS is set: .*start-up times include it/m);
  });

  const relay = {
    options: '--max-connections-per-address 100000',
    nodeOptions: '--max-semi-space-size=1',
    load: {
      pairs: 1000,
      bytesEach: 2 ** 20,
      workers: 2,
      pairingSeconds: 2.9,
      copySeconds: 11.6,
      totalSeconds: 15,
      copyMbPerSecond: 90.3,
      cpuSecondsPerGiB: 6.17,
      rssBytes: { start: 53 * 2 ** 20, peak: 201 * 2 ** 20, after: 60 * 2 ** 20, rested: 57 * 2 ** 20 },
      restSeconds: { after: 2, rested: 30 },
      idle: { pairs: 0, nameplates: 0 },
      disturbance: disturbance[0],
    },
    idle: { count: 10000, workers: 4, rssBytes: { before: 57 * 2 ** 20, withPosted: 117 * 2 ** 20, after: 70 * 2 ** 20 }, rssBytesPerPosted: 6291.456 },
  };

  it('gives the relay under load against issue 12\'s goals', () => {
    const report = renderReport({ ...results, relay });
    expect(report).toMatch(/^1000 pairs at once, 1 MiB each host to guest: intact +1000 of 1000 +all +yes$/m);
    expect(report).toMatch(/^relay CPU s per GiB copied \(user \+ system\) +6\.17$/m);
    expect(report).toMatch(/^relay RSS MiB: start \/ peak +53\.0 \/ 201\.0 +peak <= 200 +no$/m);
    expect(report).toMatch(/^relay RSS MiB idle again: after 2 s \/ 30 s +60\.0 \/ 57\.0 +near the start$/m);
    expect(report).toMatch(/relay options --max-connections-per-address 100000, NODE_OPTIONS=--max-semi-space-size=1;/);
    expect(report).toMatch(/^idle again: pairs \/ nameplates held, by its log +0 \/ 0 +0 \/ 0 +yes$/m);
    expect(report).toMatch(/^relay RSS per posted connection +6\.1 KiB$/m);
  });

  it('gives the relay against direct, in the same run, against issue 12\'s goal', () => {
    const relayed = { direct: side(10, 6, 7), relayed: side(12.5, 6, 7), relayedToDirectThroughputRatio: 0.8, relayCpuSecondsPerGiB: 1.234, relayPeakRssBytes: 60 * 2 ** 20, relayNodeOptions: '--max-semi-space-size=1' };
    const report = renderReport({ ...results, relayed });
    expect(report).toMatch(/^sealdrop directly: receive --port \+ send --to +10\.000 +100\.0 /m);
    expect(report).toMatch(/^sealdrop through one relay: --relay both sides +12\.500 +80\.0 /m);
    expect(report).toMatch(/^through the relay \/ directly, throughput +0\.80 +>= 0\.8 +yes$/m);
    expect(report).toMatch(/^relay CPU s per GiB relayed \(user \+ system\) +1\.23$/m);
    expect(report).toMatch(/^relay peak RSS MiB \(VmHWM\) +60\.0$/m);
    expect(report).toMatch(/the relay, with NODE_OPTIONS=--max-semi-space-size=1, shares the cores/);
    expect(renderReport({ ...results, relayed: { ...relayed, relayedToDirectThroughputRatio: 0.79 } })).toMatch(/^through the relay \/ directly, throughput +0\.79 +>= 0\.8 +no$/m);
  });

  it('prints only the sections that ran', () => {
    const { environment, runs: runCount } = results;
    const report = renderReport({ runs: runCount, environment, relay });
    expect(report).toMatch(/^sealdrop bench \(abc1234\): on 127\.0\.0\.1,/m);
    expect(report).toMatch(/^relay \(section 9\)/m);
    expect(report).not.toMatch(/^(throughput|pipes|relayed|latency|many small files|target)/m);
    expect(renderReport({ runs: runCount, environment, pipes: results.pipes })).toMatch(/^pipes \(section 11\)/m);
  });

  it('says why the bound is missing when the CPU time could not be read', () => {
    expect(renderReport({ ...results, ratioBound: null })).toMatch(/^upper bound on this machine +n\/a +needs the children's CPU time$/m);
  });
});
