/**
 * send and receive through a real `sealdrop relay` (PROTOCOL.md section 9), and the sender going
 * first directly: both orders of use, files, a directory and a text; wrong codes spending the code
 * and releasing the nameplate; resume through the relay; a relay that is down or is not a relay.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { CODE_LINE, killLeftovers, LOOPBACK, type SealdropProcess } from '../support/cli.js';
import { e2e, type E2EScope, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { listTree, partFilesIn, setMtimeExactMs, sha256Hex } from '../support/files.js';
import { parseJsonLines } from '../support/json-lines.js';
import { closeServer, countingRelay, startRelay } from '../support/relays.js';

afterAll(killLeftovers);

const MiB = 1024 * 1024;

/** Starts `sealdrop ARGS...` as a host and waits for its code and the command it prints for the other side. */
async function startHost(sd: E2EScope, args: readonly string[], otherSide: RegExp, env: Record<string, string> = {}): Promise<{ host: SealdropProcess; code: string; join: RegExpMatchArray }> {
  const host = sd.run(args, { env });
  const join = await host.waitForLine('stderr', otherSide);
  const [, code] = await host.waitForLine('stderr', CODE_LINE);
  return { host, code: code!, join };
}

const SEND_THROUGH_RELAY = (address: string) => new RegExp(`^ {2}sealdrop send FILE\\.\\.\\. --relay ${escape(address)}$`);
const JOIN_THROUGH_RELAY = (address: string) => new RegExp(`^ {2}sealdrop receive --join --relay ${escape(address)}$`);
const escape = (text: string) => text.replace(/[.[\]]/g, '\\$&');

function randomFile(sd: E2EScope, name: string, size: number): Buffer {
  const content = randomBytes(size);
  writeFileSync(path.join(sd.ws.src, name), content);
  return content;
}

describe.concurrent('send and receive through a relay', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('receiver first: receive --relay shows a code and the send command; send --relay joins; 20 MiB and a directory arrive intact; both say the route', async ({ sd }) => {
    const { port } = await startRelay(sd);
    const relay = `${LOOPBACK}:${port}`;
    const content = randomFile(sd, 'big.bin', 20 * MiB);
    mkdirSync(path.join(sd.ws.src, 'dir/sub'), { recursive: true });
    writeFileSync(path.join(sd.ws.src, 'dir/a.txt'), 'a\n');
    writeFileSync(path.join(sd.ws.src, 'dir/sub/b.txt'), 'b\n');
    const { host: receiver, code } = await startHost(sd, ['receive', '--relay', relay, '--out', sd.ws.out, '--yes', '--json'], SEND_THROUGH_RELAY(relay));
    expect(code).toMatch(/^[1-9][0-9]{0,2}-[a-z]+-[a-z]+-[a-z]+$/);
    // The first line on stdout is the code, for a script to hand over.
    await receiver.waitForLine('stdout', /"event":"code"/);
    expect(JSON.parse(receiver.lines('stdout')[0]!)).toEqual({ event: 'code', code, addresses: [], relay });

    const sender = sd.run(['send', 'big.bin', 'dir', '--relay', relay], { env: { SEALDROP_CODE: code }, cwd: sd.ws.src });
    await sender.expectExit(0);
    await receiver.expectExit(0);
    expect(readFileSync(path.join(sd.ws.out, 'big.bin')).equals(content)).toBe(true);
    expect(listTree(sd.ws.out)).toEqual(['big.bin', 'dir/', 'dir/a.txt', 'dir/sub/', 'dir/sub/b.txt']);
    expect(sender.stderr).toContain(`Connection: through the relay ${relay}`);
    const { events, result } = parseJsonLines(receiver.stdout);
    expect(events.find((e) => e.event === 'route')).toEqual({ event: 'route', via: 'relay', relay });
    expect(result).toMatchObject({ ok: true, kind: 'files', totalBytes: 20 * MiB + 4 });
  });

  e2e('sender first: send --wait --relay shows a code; receive --join --relay takes a directory; with SEALDROP_RELAY, a text', async ({ sd }) => {
    const { port } = await startRelay(sd);
    const relay = `${LOOPBACK}:${port}`;
    mkdirSync(path.join(sd.ws.src, 'photos'));
    writeFileSync(path.join(sd.ws.src, 'photos/one.jpg'), randomBytes(100_000));
    const { host: sender, code } = await startHost(sd, ['send', path.join(sd.ws.src, 'photos'), '--wait', '--relay', relay, '--json'], JOIN_THROUGH_RELAY(relay));
    await sender.waitForLine('stdout', /"event":"code"/);
    expect(JSON.parse(sender.lines('stdout')[0]!)).toMatchObject({ event: 'code', code, relay });
    const receiver = sd.run(['receive', '--join', '--relay', relay, '--out', sd.ws.out, '--yes'], { env: { SEALDROP_CODE: code } });
    await receiver.expectExit(0);
    await sender.expectExit(0);
    expect(listTree(sd.ws.out)).toEqual(['photos/', 'photos/one.jpg']);
    expect(receiver.stderr).toContain(`Connection: through the relay ${relay}`);
    expect(parseJsonLines(sender.stdout).result).toMatchObject({ ok: true, kind: 'files' });

    // SEALDROP_RELAY, for people who always use the same relay: no address option at all.
    const env = { SEALDROP_RELAY: relay };
    const { host: texter, code: textCode } = await startHost(sd, ['send', '--text', 'hello through the relay', '--wait'], JOIN_THROUGH_RELAY(relay), env);
    const reader = sd.run(['receive', '--join', '--out', sd.ws.out], { env: { ...env, SEALDROP_CODE: textCode } });
    await reader.expectExit(0);
    await texter.expectExit(0);
    expect(reader.stdout).toBe('hello through the relay\n');
  });

  e2e('sender first, directly: send --wait --port listens; receive --join --from connects; both say direct', async ({ sd }) => {
    const content = randomFile(sd, 'file.bin', 1 * MiB);
    const { host: sender, code, join } = await startHost(sd, ['send', path.join(sd.ws.src, 'file.bin'), '--wait', '--host', LOOPBACK, '--port', '0'], /^ {2}sealdrop receive --join --from (127\.0\.0\.1:\d+)$/);
    const receiver = sd.run(['receive', '--join', '--from', join[1]!, '--out', sd.ws.out, '--yes', '--json'], { env: { SEALDROP_CODE: code } });
    await receiver.expectExit(0);
    await sender.expectExit(0);
    expect(readFileSync(path.join(sd.ws.out, 'file.bin')).equals(content)).toBe(true);
    expect(sender.stderr).toContain('Connection: directly, no relay');
    expect(parseJsonLines(receiver.stdout).events.find((e) => e.event === 'route')).toEqual({ event: 'route', via: 'direct' });
  });

  e2e('IPv6: a relay on [::1], both sides through it, shown as [::1]:PORT; a fixed secret gets the nameplate in front', async ({ sd }) => {
    const { port } = await startRelay(sd, [], '::1');
    const relay = `[::1]:${port}`;
    // A host given its own secret gets the nameplate put in front of it.
    const secret = 'orbit-velvet-canal-river';
    const { host: receiver, code } = await startHost(sd, ['receive', '--relay', relay, '--out', sd.ws.out], SEND_THROUGH_RELAY(relay), { SEALDROP_CODE: secret });
    expect(code).toMatch(new RegExp(`^[1-9][0-9]{0,2}-${secret}$`));
    const sender = sd.run(['send', '--text', 'over six', '--relay', relay], { env: { SEALDROP_CODE: code } });
    await sender.expectExit(0);
    await receiver.expectExit(0);
    expect(receiver.stdout).toBe('over six\n');
    expect(sender.stderr).toContain(`through the relay ${relay}`);
  });

  e2e('a wrong code three times spends it: the receiver stops and releases the nameplate, so the right code then hears E_RELAY_NAMEPLATE', async ({ sd }) => {
    const { port, relay: relayProcess } = await startRelay(sd);
    const relay = `${LOOPBACK}:${port}`;
    const { host: receiver, code } = await startHost(sd, ['receive', '--relay', relay, '--out', sd.ws.out], SEND_THROUGH_RELAY(relay));
    const nameplate = code.split('-')[0]!;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      // Each try waits out the host's re-post: a busy answer is retried (section 9).
      const wrong = await sd.runToEnd(['send', '--text', 'x', '--relay', relay], { env: { SEALDROP_CODE: `${nameplate}-not-the-code` } });
      expect(wrong.code, wrong.process.describe()).toBe(3);
      expect(wrong.stderr).toMatch(/E_WRONG_CODE/);
    }
    await receiver.expectExit(3);
    expect(receiver.stderr).toMatch(/E_CODE_SPENT/);
    await relayProcess.waitForLine('stdout', /"event":"released"/);
    const late = await sd.runToEnd(['send', '--text', 'x', '--relay', relay], { env: { SEALDROP_CODE: code } });
    expect(late.code).toBe(3);
    expect(late.stderr).toMatch(/^sealdrop: E_RELAY_NAMEPLATE: the relay 127\.0\.0\.1:\d+ holds no such code: the code is wrong, or it has expired/m);
    expect(relayProcess.stdout).not.toContain(code.slice(nameplate.length)); // the secret never reached the relay
  });

  e2e('resume through the relay: the sender killed at half of 50 MiB, the same command again sends less than 60 %', async ({ sd }) => {
    const size = 50 * MiB;
    const content = randomFile(sd, 'half.bin', size);
    setMtimeExactMs(path.join(sd.ws.src, 'half.bin'), 1_650_000_000_250);
    const { port } = await startRelay(sd);
    const { host: receiver, code } = await startHost(sd, ['receive', '--relay', `${LOOPBACK}:${port}`, '--out', sd.ws.out, '--yes'], /^ {2}sealdrop send FILE\.\.\. --relay /);
    // The sender reaches the relay through a counting proxy: it is killed once 60 % has left it,
    // of which the sockets and the relay still hold some, so that about half has arrived.
    let first: SealdropProcess | undefined;
    const firstProxy = await countingRelay(sd, port, (total) => {
      if (total >= 0.6 * size && first?.running) first.kill('SIGKILL');
    });
    const sendArgs = (proxy: string) => ['send', path.join(sd.ws.src, 'half.bin'), '--relay', proxy];
    first = sd.run(sendArgs(firstProxy.address), { env: { SEALDROP_CODE: code } });
    await first.waitForExit();
    await receiver.waitForLine('stderr', /^sealdrop: warning: the transfer broke off .*partial files are kept to resume/);
    firstProxy.close();

    const secondProxy = await countingRelay(sd, port);
    const second = sd.run(sendArgs(secondProxy.address), { env: { SEALDROP_CODE: code } });
    await second.expectExit(0, 25_000);
    await receiver.expectExit(0);
    expect(receiver.stdout).toBe(`${sha256Hex(content)}  half.bin\n`);
    expect(readFileSync(path.join(sd.ws.out, 'half.bin')).equals(content)).toBe(true);
    expect(secondProxy.bytes()).toBeLessThan(0.6 * size);
    secondProxy.close();
  });
});

describe.concurrent('a sender that went first waits again', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('the receiver killed at half of 50 MiB: the hosting sender posts again, and receive --join once more sends less than 60 %', async ({ sd }) => {
    const size = 50 * MiB;
    const content = randomFile(sd, 'half.bin', size);
    setMtimeExactMs(path.join(sd.ws.src, 'half.bin'), 1_650_000_000_250);
    const { port } = await startRelay(sd);
    // The sender reaches the relay through a counting proxy, which holds its first connection
    // back at 85 %, so that the receiver can be killed once it has written a little over half.
    let firstConnection: Socket | undefined;
    const proxy = await countingRelay(sd, port, (total, connection) => {
      firstConnection ??= connection;
      if (connection === firstConnection && total >= 0.85 * size) connection.pause();
    });
    const { host: sender, code } = await startHost(sd, ['send', path.join(sd.ws.src, 'half.bin'), '--wait', '--relay', proxy.address], JOIN_THROUGH_RELAY(proxy.address));
    const joinArgs = ['receive', '--join', '--relay', `${LOOPBACK}:${port}`, '--out', sd.ws.out, '--yes'];
    const receiver = sd.run(joinArgs, { env: { SEALDROP_CODE: code } });
    await partWithAtLeast(sd.ws.out, 0.55 * size, receiver);
    receiver.kill('SIGKILL');
    await receiver.waitForExit();
    firstConnection!.destroy(); // nothing more of the first attempt is counted
    await sender.waitForLine('stderr', /^sealdrop: warning: the transfer broke off .*the code is still valid: waiting for the receiver to join again/);
    const before = proxy.bytes();

    const again = sd.run(joinArgs, { env: { SEALDROP_CODE: code } });
    await again.expectExit(0, 30_000);
    await sender.expectExit(0);
    expect(readFileSync(path.join(sd.ws.out, 'half.bin')).equals(content)).toBe(true);
    expect(proxy.bytes() - before).toBeLessThan(0.6 * size);
    proxy.close();
  });
});

/** Waits until a part file below `directory` holds at least `bytes`. */
async function partWithAtLeast(directory: string, bytes: number, watched: SealdropProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const sizes = partFilesIn(directory)
      .filter((name) => name.endsWith('.part'))
      .map((name) => statSync(path.join(directory, name), { throwIfNoEntry: false })?.size ?? 0);
    if (sizes.some((size) => size >= bytes)) return;
    if (!watched.running || Date.now() > deadline) throw new Error(`no part file of ${bytes} bytes in ${directory}\n${watched.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.concurrent('relay failures reach the person in plain words, quickly', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('a relay that is down: E_RELAY, at once', async ({ sd }) => {
    const closed = createServer();
    closed.listen(0, LOOPBACK);
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await closeServer(closed); // nothing listens there now
    const started = Date.now();
    const sender = await sd.runToEnd(['send', '--text', 'x', '--relay', `${LOOPBACK}:${port}`], { env: { SEALDROP_CODE: '12-a-b-c' } });
    const receiver = await sd.runToEnd(['receive', '--relay', `${LOOPBACK}:${port}`, '--out', sd.ws.out]);
    expect(Date.now() - started).toBeLessThan(8_000);
    for (const run of [sender, receiver]) {
      expect(run.code, run.process.describe()).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^sealdrop: E_RELAY: the relay 127\\.0\\.0\\.1:${port} cannot be reached \\(.*nobody is listening there\\)`, 'm'));
    }
  });

  e2e('a server that is not a relay (a sealdrop receive): E_RELAY, at once', async ({ sd }) => {
    const notARelay = await sd.run(['receive', '--host', LOOPBACK, '--port', '0', '--out', sd.ws.out]);
    const [, port] = await notARelay.waitForLine('stderr', /--to 127\.0\.0\.1:(\d+)$/);
    const started = Date.now();
    const sender = await sd.runToEnd(['send', '--text', 'x', '--relay', `${LOOPBACK}:${port}`], { env: { SEALDROP_CODE: '12-a-b-c' } });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(sender.code, sender.process.describe()).toBe(1);
    expect(sender.stderr).toMatch(/^sealdrop: E_RELAY: the relay 127\.0\.0\.1:\d+ did not answer as a sealdrop relay does/m);
  });

  e2e('codes the relay cannot take are refused before connecting: no nameplate, or no secret', async ({ sd }) => {
    const { relay: relayProcess, port } = await startRelay(sd);
    for (const code of ['482', '482-', 'orbit-velvet-canal']) {
      const run = await sd.runToEnd(['send', '--text', 'x', '--relay', `${LOOPBACK}:${port}`], { env: { SEALDROP_CODE: code } });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^sealdrop: E_BAD_CODE: Through a relay the code is a number, a dash and the rest/m);
    }
    expect(relayProcess.stdout).not.toMatch(/"event":"connection"/);
  });

  e2e('a host busy with another peer: a joining sender retries for --busy-wait, then says the other side is busy', async ({ sd }) => {
    const { port } = await startRelay(sd);
    const relay = `${LOOPBACK}:${port}`;
    const { host: receiver, code } = await startHost(sd, ['receive', '--relay', relay, '--out', sd.ws.out], SEND_THROUGH_RELAY(relay));
    // A guest that joins and says nothing holds the host's one posted connection.
    const { rawConnection } = await import('../support/relays.js');
    const { joinRequest, RelayReader } = await import('../support/relay-client.js');
    const squatter = await rawConnection(sd, port);
    squatter.write(joinRequest(code.split('-')[0]!));
    expect(await new RelayReader(squatter).answer()).toEqual({ paired: true });
    const started = Date.now();
    const sender = await sd.runToEnd(['send', '--text', 'x', '--relay', relay, '--busy-wait', '2'], { env: { SEALDROP_CODE: code } });
    expect(Date.now() - started).toBeGreaterThan(1_500);
    expect(sender.code, sender.process.describe()).toBe(1);
    expect(sender.stderr).toMatch(/^sealdrop: E_RELAY_BUSY: the relay 127\.0\.0\.1:\d+ says the other side is busy with someone else; try again later \(it said so for 2 s\)/m);
    receiver.kill();
  });
});
