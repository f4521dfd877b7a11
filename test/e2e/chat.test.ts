// `sealdrop chat` with the real bin/sealdrop on 127.0.0.1 (PROTOCOL.md section 10; issue 13):
// piped chats both ways whose transcripts are compared exactly, --json, a room with a host and
// three members (names made unique, joins and leaves, a member killed, the host leaving), three
// wrong codes, and names and texts full of escape sequences that reach the terminal harmless;
// directly and through a real `sealdrop relay` (section 9), whoever goes first.

import { afterAll, describe } from 'vitest';
import { Intent } from '../../src/protocol/handshake-messages.js';
import { RecordType } from '../../src/protocol/records.js';
import { killLeftovers, LOOPBACK, type SealdropProcess } from '../support/cli.js';
import { e2e, type E2EScope, E2E_TIMEOUT_MS } from '../support/e2e.js';
import { parseJsonLines } from '../support/json-lines.js';
import { startRelay } from '../support/relays.js';
import { TestPeer } from '../support/test-peer.js';

afterAll(killLeftovers);

/** The host's line with the command for the other side: never the code. */
const CHAT_COMMAND_LINE = /^ {2}sealdrop chat --join --to 127\.0\.0\.1:(\d+)$/;
const CODE_LINE = /^Code: (\S+)$/;
const FINGERPRINT_LINE = /Session fingerprint: ([0-9a-f]{4}(?:-[0-9a-f]{4}){3})/;
/** `[HH:MM] ` in local time, before every line of the conversation. */
const STAMP = /^\[\d\d:\d\d\] /;

interface Host {
  readonly process: SealdropProcess;
  /** What a joiner adds to `sealdrop chat`: `--to HOST:PORT`, or `--join --relay HOST:PORT`. */
  readonly joinArgs: readonly string[];
  readonly code: string;
}

/** A real relay on 127.0.0.1: its process (whose JSON log tells of releases) and its HOST:PORT. */
async function relayFor(sd: E2EScope): Promise<{ relay: SealdropProcess; address: string }> {
  const { relay, port } = await startRelay(sd);
  return { relay, address: `${LOOPBACK}:${port}` };
}

/** Hosts a chat (or with --room, a room): directly on a free port, or through `relay` (HOST:PORT). */
async function startHost(sd: E2EScope, name: string, args: readonly string[] = [], relay?: string): Promise<Host> {
  const where = relay === undefined ? ['--host', LOOPBACK, '--port', '0'] : ['--relay', relay];
  const host = sd.run(['chat', ...where, '--name', name, ...args], { stdinPipe: true });
  const commandLine = relay === undefined ? CHAT_COMMAND_LINE : new RegExp(`^ {2}sealdrop chat --join --relay ${escapeRegExp(relay)}$`);
  const [, port] = await host.waitForLine('stderr', commandLine);
  const [, code] = await host.waitForLine('stderr', CODE_LINE);
  return { process: host, joinArgs: relay === undefined ? ['--to', `${LOOPBACK}:${port}`] : ['--join', '--relay', relay], code: code! };
}

function join(sd: E2EScope, host: Host, name: string, code = host.code, args: readonly string[] = []): SealdropProcess {
  return sd.run(['chat', ...host.joinArgs, '--name', name, ...args], { stdinPipe: true, env: { SEALDROP_CODE: code } });
}

/** Joins a room and waits until the member shows that it is in one. */
async function joinRoom(sd: E2EScope, host: Host, name: string): Promise<SealdropProcess> {
  const member = join(sd, host, name);
  await member.waitForLine('stderr', /^You are in a room hosted by /);
  return member;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits until `process` shows the conversation line `line` (without its time stamp). */
function shows(process: SealdropProcess, line: string): Promise<RegExpMatchArray> {
  return process.waitForLine('stdout', new RegExp(`${STAMP.source}${escapeRegExp(line)}$`));
}

/** The conversation as `process` showed it on stdout, each line checked for its stamp and shown without. */
function transcript(process: SealdropProcess): string[] {
  return process.lines('stdout').map((line) => {
    if (!STAMP.test(line)) throw new Error(`a line without its [HH:MM] stamp: ${JSON.stringify(line)}\n${process.describe()}`);
    return line.replace(STAMP, '');
  });
}

describe.concurrent('sealdrop chat, two people', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('chat both ways through pipes: the same fingerprint, every line in order, and the end of input leaves in order', async ({ sd, expect }) => {
    const bo = await startHost(sd, 'bo');
    const ana = join(sd, bo, 'ana');
    const [, anaFingerprint] = await ana.waitForLine('stderr', FINGERPRINT_LINE);
    const [, boFingerprint] = await bo.process.waitForLine('stderr', FINGERPRINT_LINE);
    expect(anaFingerprint).toBe(boFingerprint);

    bo.process.typeLine('hello ana');
    await shows(ana, 'bo: hello ana');
    ana.typeLine('hi bo');
    ana.typeLine('');
    ana.typeLine('two lines, one after the other');
    await shows(bo.process, 'ana: two lines, one after the other');
    bo.process.typeLine('ça va? 😀');
    await shows(ana, 'bo: ça va? 😀');
    ana.endInput();

    await ana.expectExit(0);
    await bo.process.expectExit(0);
    expect(transcript(bo.process)).toEqual(['ana: hi bo', 'ana: two lines, one after the other']);
    expect(transcript(ana)).toEqual(['bo: hello ana', 'bo: ça va? 😀']);
    expect(bo.process.stderr).toMatch(/^ana left the chat$/m);
    // The code never appears in the command for the other side, nor anywhere in the guest's output.
    expect(bo.process.stderr).not.toMatch(new RegExp(`chat --join .*${escapeRegExp(bo.code)}`));
    expect(ana.stderr + ana.stdout).not.toContain(bo.code);
  });

  e2e('the host leaving with /quit ends the guest\'s chat too, with exit status 0', async ({ sd, expect }) => {
    const bo = await startHost(sd, 'bo');
    const ana = join(sd, bo, 'ana');
    await ana.waitForLine('stderr', FINGERPRINT_LINE);
    ana.typeLine('bye soon');
    await shows(bo.process, 'ana: bye soon');
    bo.process.typeLine('/quit');
    await bo.process.expectExit(0);
    await ana.expectExit(0);
    expect(ana.stderr).toMatch(/^bo left the chat$/m);
  });

  e2e('Ctrl-C (SIGINT) without a terminal still leaves in order: the other side is told and exits 0', async ({ sd, expect }) => {
    const bo = await startHost(sd, 'bo');
    const ana = join(sd, bo, 'ana');
    bo.process.typeLine('are you there?');
    await shows(ana, 'bo: are you there?');
    ana.kill('SIGINT');
    await bo.process.expectExit(0);
    expect(bo.process.stderr).toMatch(/^ana left the chat$/m);
    await ana.expectExit(130);
    expect(ana.stderr).not.toMatch(/bo left the chat/);
  });

  e2e('--json: one JSON object a line, with from, time, text and notice, the result last', async ({ sd, expect }) => {
    const bo = await startHost(sd, 'bo');
    const ana = join(sd, bo, 'ana', bo.code, ['--json']);
    await bo.process.waitForLine('stderr', FINGERPRINT_LINE);
    const before = Date.now();
    bo.process.typeLine('a "quoted" line');
    await ana.waitForLine('stdout', /"event":"message"/);
    ana.endInput();
    await ana.expectExit(0);
    await bo.process.expectExit(0);
    const { events, result } = parseJsonLines(ana.stdout);
    const messages = events.filter((event) => event.event === 'message');
    expect(messages).toEqual([{ event: 'message', from: 'bo', time: expect.any(Number), text: 'a "quoted" line', notice: false }]);
    expect(messages[0]!.time as number).toBeGreaterThanOrEqual(before - 1000);
    expect(result).toEqual({ ok: true, kind: 'chat', end: 'we-left' });
  });

  e2e('a text too long for one record is refused with a clear message, never sent cut, and the chat goes on', async ({ sd, expect }) => {
    const bo = await startHost(sd, 'bo');
    const ana = join(sd, bo, 'ana');
    await ana.waitForLine('stderr', FINGERPRINT_LINE);
    ana.typeLine('x'.repeat(1_048_576));
    await ana.waitForLine('stderr', /^sealdrop: not sent: this message \(1048576 bytes\) does not fit in one record of the chat \(1 MiB\); send it as a file/);
    ana.typeLine('short');
    await shows(bo.process, 'ana: short');
    ana.endInput();
    await ana.expectExit(0);
    await bo.process.expectExit(0);
    expect(transcript(bo.process)).toEqual(['ana: short']);
  });

  e2e('names and texts full of escape sequences and bidi controls reach the terminal harmless, and --json keeps them exact', async ({ sd, expect }) => {
    const hostileName = 'eve\u001b[2J\u001b]0;owned\u0007\u202Egnp.exe';
    const hostileText = 'look \u001b[31mred\u001b[0m \u009b1;1H\u2066isolated\u2069 \u202Ecod.exe\tnext';
    const bo = await startHost(sd, 'bo', ['--json']);
    const eve = join(sd, bo, hostileName);
    await eve.waitForLine('stderr', FINGERPRINT_LINE);
    eve.typeLine(hostileText);
    await bo.process.waitForLine('stdout', /"event":"message"/);
    const plain = await startHost(sd, 'cy');
    const eve2 = join(sd, plain, hostileName);
    await eve2.waitForLine('stderr', FINGERPRINT_LINE);
    eve2.typeLine(hostileText);
    const [line] = await plain.process.waitForLine('stdout', /^.*look.*$/);
    for (const p of [eve, eve2]) p.endInput();
    for (const p of [eve, eve2, bo.process, plain.process]) await p.expectExit(0);

    const unsafe = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    for (const output of [plain.process.stdout, plain.process.stderr, bo.process.stdout, bo.process.stderr]) expect(output.replace(/\n/g, '')).not.toMatch(unsafe);
    expect(line).toMatch(/^\[\d\d:\d\d\] eve\uFFFD\[2J\uFFFD\]0;owned\uFFFD\uFFFDgnp\.exe: look \uFFFD\[31mred/);
    expect(plain.process.stderr).toMatch(/^eve\uFFFD\[2J.* left the chat$/m);
    // --json: the exact text back through JSON.parse, and no raw control in the line.
    const message = parseJsonLines(bo.process.stdout).events.find((event) => event.event === 'message')!;
    expect(message).toMatchObject({ from: hostileName, text: hostileText });
  });

  e2e('three wrong codes spend the code of a two-party chat: the host says to start a new chat', async ({ sd, expect }) => {
    const bo = await startHost(sd, 'bo');
    for (let i = 0; i < 3; i += 1) await join(sd, bo, 'mallory', `${bo.code}x`).expectExit(3);
    await bo.process.expectExit(3);
    expect(bo.process.stderr).toMatch(/^sealdrop: E_CODE_SPENT: 3 attempts with a wrong code: the code is spent; start a new chat for a new code$/m);
  });

  e2e('a peer with the code that offers files instead of a chat is told E_PROTOCOL; the host warns, keeps the code and chats with the next', async ({ sd, expect }) => {
    const bo = await startHost(sd, 'bo');
    const hostile = await TestPeer.connect(Number(bo.joinArgs[1]!.split(':')[1]));
    await hostile.handshake('initiator', bo.code, Intent.CHAT);
    hostile.send(RecordType.OFFER, { kind: 'files', name: 'x', fileCount: 1, totalBytes: 1, files: [{ path: 'x', size: 1, mode: 0o644, mtime: 0 }] });
    const answer = await hostile.nextRecord();
    expect(answer?.type).toBe(RecordType.ERROR);
    expect(JSON.parse(answer!.body.toString('utf8'))).toMatchObject({ code: 'E_PROTOCOL' });
    await bo.process.waitForLine('stderr', /^sealdrop: warning: a peer with the code did not offer a chat: E_PROTOCOL: .*the code is still valid: waiting for the other person$/);
    const ana = join(sd, bo, 'ana');
    ana.typeLine('it is me');
    await shows(bo.process, 'ana: it is me');
    ana.endInput();
    await ana.expectExit(0);
    await bo.process.expectExit(0);
  });

  e2e('refuses contradicting address words before connecting: --wait with --join, --room with a joiner\'s words (--join, --to), --join with nowhere to go, a code a relay cannot take', async ({ sd, expect }) => {
    const refusals: Array<[readonly string[], RegExp]> = [
      [['--wait', '--join', '--relay', '127.0.0.1:9'], /--wait goes first and --join joins the side that did: give one of them/],
      [['--room', '--join', '--relay', '127.0.0.1:9'], /--room hosts a room; to join one, run `sealdrop chat --join`/],
      [['--room', '--to', '127.0.0.1:9'], /--room hosts a room; to join one, run `sealdrop chat --join` \(or --to HOST:PORT\) without --room/],
      [['--wait', '--to', '127.0.0.1:9'], /--to is for the side that joins; the side that waits takes --port \(or --relay\)/],
      [['--join'], /say where the other side is: --to HOST:PORT, or --relay HOST:PORT \(or set SEALDROP_RELAY\)/],
      [['--join', '--relay', '127.0.0.1:9'], /E_BAD_CODE: Through a relay the code is a number, a dash and the rest/],
    ];
    const runs = await Promise.all(refusals.map(([args]) => sd.runToEnd(['chat', ...args], { env: { SEALDROP_CODE: '482' } })));
    for (const [index, run] of runs.entries()) {
      expect(run.code, run.process.describe()).toBe(2);
      expect(run.stderr).toMatch(refusals[index]![1]);
    }
  });
});

/** Each room test runs both ways the others meet its host. */
const ROUTES = [
  { via: 'directly', throughRelay: false },
  { via: 'through a relay', throughRelay: true },
] as const;

describe.concurrent('sealdrop chat through a relay', { timeout: E2E_TIMEOUT_MS }, () => {
  e2e('whoever goes first hosts on the relay and the other joins, in both orders (--relay, then SEALDROP_RELAY): the same transcripts, the route on both sides, the nameplate released', async ({ sd, expect }) => {
    const relay = await relayFor(sd);
    for (const [first, second, env] of [
      ['bo', 'ana', {}],
      ['ana', 'bo', { SEALDROP_RELAY: relay.address }],
    ] as const) {
      const where = 'SEALDROP_RELAY' in env ? [] : ['--relay', relay.address];
      const hosting = sd.run(['chat', ...where, '--name', first], { stdinPipe: true, env });
      await hosting.waitForLine('stderr', new RegExp(`^ {2}sealdrop chat --join --relay ${escapeRegExp(relay.address)}$`));
      const [, code] = await hosting.waitForLine('stderr', CODE_LINE);
      expect(code).toMatch(/^[1-9][0-9]{0,2}-[a-z]+-[a-z]+-[a-z]+$/);
      const joining = sd.run(['chat', '--join', ...where, '--name', second], { stdinPipe: true, env: { ...env, SEALDROP_CODE: code! } });
      const [, joinerFingerprint] = await joining.waitForLine('stderr', FINGERPRINT_LINE);
      const [, hostFingerprint] = await hosting.waitForLine('stderr', FINGERPRINT_LINE);
      expect(joinerFingerprint).toBe(hostFingerprint);

      hosting.typeLine(`hello ${second}`);
      await shows(joining, `${first}: hello ${second}`);
      joining.typeLine(`hi ${first}`);
      joining.typeLine('bye');
      await shows(hosting, `${second}: bye`);
      joining.endInput();
      await joining.expectExit(0);
      await hosting.expectExit(0);
      expect(transcript(hosting)).toEqual([`${second}: hi ${first}`, `${second}: bye`]);
      expect(transcript(joining)).toEqual([`${first}: hello ${second}`]);
      for (const side of [hosting, joining]) expect(side.stderr).toContain(`Connection: through the relay ${relay.address} (it sees only sealed bytes)`);
      expect(hosting.stderr).toMatch(new RegExp(`^${second} left the chat$`, 'm'));
      expect(relay.relay.stdout).not.toContain(code!.slice(code!.indexOf('-'))); // the secret never reached the relay
    }
    // The chat began, so no one else may come: each host released its nameplate (section 9).
    await relay.relay.waitForLine('stdout', /"event":"released"/);
    expect(relay.relay.lines('stdout').filter((line) => line.includes('"event":"released"'))).toHaveLength(2);
  });

  e2e('--json: the code is the first line, then the route; the joiner\'s messages and result as JSON', async ({ sd, expect }) => {
    const relay = await relayFor(sd);
    const host = await startHost(sd, 'bo', ['--json'], relay.address);
    await host.process.waitForLine('stdout', /"event":"route"/);
    const [first, second] = host.process.lines('stdout').map((line) => JSON.parse(line) as object);
    expect(first).toEqual({ event: 'code', code: host.code, addresses: [], relay: relay.address });
    expect(second).toEqual({ event: 'route', via: 'relay', relay: relay.address });
    const ana = join(sd, host, 'ana', host.code, ['--json']);
    await ana.waitForLine('stdout', /"event":"secured"/);
    host.process.typeLine('hi');
    await ana.waitForLine('stdout', /"event":"message"/);
    ana.endInput();
    await ana.expectExit(0);
    await host.process.expectExit(0);
    const joined = parseJsonLines(ana.stdout);
    expect(joined.events.find((event) => event.event === 'route')).toEqual({ event: 'route', via: 'relay', relay: relay.address });
    expect(joined.events.filter((event) => event.event === 'message')).toEqual([{ event: 'message', from: 'bo', time: expect.any(Number), text: 'hi', notice: false }]);
    expect(joined.result).toEqual({ ok: true, kind: 'chat', end: 'we-left' });
    expect(parseJsonLines(host.process.stdout).result).toEqual({ ok: true, kind: 'chat', end: 'peer-left' });
  });

  e2e('three wrong codes spend a two-party chat\'s code: the host stops and releases the nameplate', async ({ sd, expect }) => {
    const relay = await relayFor(sd);
    const bo = await startHost(sd, 'bo', [], relay.address);
    for (let i = 0; i < 3; i += 1) await join(sd, bo, 'mallory', `${bo.code}x`).expectExit(3);
    await bo.process.expectExit(3);
    expect(bo.process.stderr).toMatch(/^sealdrop: E_CODE_SPENT: 3 attempts with a wrong code: the code is spent; start a new chat for a new code$/m);
    expect(bo.process.stderr).toMatch(/^sealdrop: warning: connection from a peer through the relay 127\.0\.0\.1:\d+ failed: E_WRONG_CODE: .+ \(2 attempts left\)$/m);
    await relay.relay.waitForLine('stdout', /"event":"released"/);
  });
});

describe.concurrent('sealdrop chat --room', { timeout: E2E_TIMEOUT_MS }, () => {
  for (const { via, throughRelay } of ROUTES) {
    e2e(`${via}: a host and three members: everyone sees everyone else's messages under unique names, joins, leaves, a member killed, the host leaving`, async ({ sd, expect }) => {
      const relay = throughRelay ? await relayFor(sd) : undefined;
      const host = await startHost(sd, 'Ana', ['--room'], relay?.address);
      const ana = await joinRoom(sd, host, 'ana');
      const bo = await joinRoom(sd, host, 'bo');
      const ana3 = await joinRoom(sd, host, 'ANA');
      expect(ana.stderr).toMatch(/^You are in a room hosted by Ana, as ana \(2\)\. The host reads everything written here\./m);
      expect(ana3.stderr).toMatch(/^You are in a room hosted by Ana, as ANA \(3\)\./m);
      await shows(ana, '* ANA (3) joined');

      ana.typeLine('hello from ana');
      for (const p of [host.process, bo, ana3]) await shows(p, 'ana (2): hello from ana');
      bo.typeLine('hello from bo');
      for (const p of [host.process, ana, ana3]) await shows(p, 'bo: hello from bo');
      ana3.typeLine('hello from ANA');
      for (const p of [host.process, ana, bo]) await shows(p, 'ANA (3): hello from ANA');
      host.process.typeLine('hello from the host');
      for (const p of [ana, bo, ana3]) await shows(p, 'Ana: hello from the host');
      ana.typeLine('/who');
      await shows(ana, '* in the room: Ana, ana (2), bo, ANA (3)');

      ana3.kill('SIGKILL');
      for (const p of [host.process, ana, bo]) await shows(p, '* ANA (3) is gone (the connection was lost)');
      bo.endInput();
      await bo.expectExit(0);
      for (const p of [host.process, ana]) await shows(p, '* bo left');
      ana.typeLine('still here');
      await shows(host.process, 'ana (2): still here');

      host.process.endInput();
      await host.process.expectExit(0);
      await ana.expectExit(0);
      expect(ana.stderr).toMatch(/^the host closed the room$/m);
      expect(transcript(host.process)).toEqual([
        '* ana (2) joined',
        '* bo joined',
        '* ANA (3) joined',
        'ana (2): hello from ana',
        'bo: hello from bo',
        'ANA (3): hello from ANA',
        '* ANA (3) is gone (the connection was lost)',
        '* bo left',
        'ana (2): still here',
      ]);
      expect(transcript(ana)).toEqual([
        '* you are in the room with Ana, who hosts it',
        '* bo joined',
        '* ANA (3) joined',
        'bo: hello from bo',
        'ANA (3): hello from ANA',
        'Ana: hello from the host',
        '* in the room: Ana, ana (2), bo, ANA (3)',
        '* ANA (3) is gone (the connection was lost)',
        '* bo left',
      ]);
      expect(transcript(bo)).toEqual([
        '* in the room: Ana, ana (2)',
        '* ANA (3) joined',
        'ana (2): hello from ana',
        'ANA (3): hello from ANA',
        'Ana: hello from the host',
        '* ANA (3) is gone (the connection was lost)',
      ]);
      const route = relay === undefined ? 'Connection: directly, no relay' : `Connection: through the relay ${relay.address} (it sees only sealed bytes)`;
      for (const p of [host.process, ana, bo, ana3]) expect(p.stderr).toContain(route);
      // The host's leaving released the nameplate (section 9).
      if (relay !== undefined) await relay.relay.waitForLine('stdout', /"event":"released"/);
    });

    e2e(`${via}: three wrong codes spend the code: no one new joins (a relay forgets the nameplate at once), the members stay`, async ({ sd, expect }) => {
      const relay = throughRelay ? await relayFor(sd) : undefined;
      const host = await startHost(sd, 'host', ['--room'], relay?.address);
      const ana = await joinRoom(sd, host, 'ana');
      for (let i = 0; i < 3; i += 1) {
        const wrong = join(sd, host, `mallory${i}`, `${host.code}x`);
        await wrong.expectExit(3);
      }
      await host.process.waitForLine('stderr', /3 wrong codes: the code is spent and no one new can join; the members stay/);
      expect(host.process.stderr).toMatch(/^sealdrop: warning: connection from .+ failed: E_WRONG_CODE: .+ \(1 attempt left\)$/m);
      // Section 9: a spent code is released at once (the running pairs go on), so the right code,
      // late, hears E_RELAY_NAMEPLATE instead of waiting out busy answers; directly, nobody listens.
      if (relay !== undefined) await relay.relay.waitForLine('stdout', /"event":"released"/);
      const late = join(sd, host, 'late');
      expect(await late.waitForExit()).toBe(relay === undefined ? 1 : 3);
      if (relay !== undefined) expect(late.stderr).toMatch(/^sealdrop: E_RELAY_NAMEPLATE: /m);
      ana.typeLine('we are still here');
      await shows(host.process, 'ana: we are still here');
      host.process.typeLine('so we are');
      await shows(ana, 'host: so we are');
      host.process.typeLine('/quit');
      await host.process.expectExit(0);
      await ana.expectExit(0);
      expect(late.stderr + late.stdout).not.toMatch(/You are in a room/);
    });
  }
});
