/**
 * A rough reading of an exec probe's command: enough to see which programs it runs, which hosts it
 * talks to and whether it loops. Not a shell parser — `sh -c` scripts are split on the usual
 * separators, respecting quotes — because a lint finding only needs the words, not the semantics.
 */

/** One simple command: the program's base name and its words after it. */
export interface SimpleCommand {
  program: string;
  args: string[];
}

export interface CommandShape {
  /** The command is `sh -c SCRIPT` (or bash, ash, …): `script` is then that text. */
  viaShell: boolean;
  script: string;
  commands: SimpleCommand[];
  /** Shell loop keywords in program position (`for`, `while`, `until`). */
  loops: string[];
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'busybox']);
/** Words that run the next word as the program (`exec curl …`, `timeout 2 curl …`). */
const WRAPPERS = new Set(['exec', 'env', 'command', 'nice', 'nohup', 'timeout', 'time', 'xargs']);
const SHELL_KEYWORDS = new Set(['do', 'then', 'else', 'elif', 'done', 'fi', 'if', '!', '{', '}', 'in']);
const LOOP_KEYWORDS = new Set(['for', 'while', 'until']);

function baseName(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

export function commandShape(argv: readonly string[]): CommandShape {
  const program = baseName(argv[0] ?? '');
  const cIndex = argv.indexOf('-c');
  if (SHELLS.has(program) && cIndex >= 1 && argv[cIndex + 1] !== undefined) {
    const script = argv[cIndex + 1] ?? '';
    return { viaShell: true, script, ...splitScript(script) };
  }
  const { commands, loops } = wordsToCommands([argv.slice()]);
  return { viaShell: false, script: argv.join(' '), commands, loops };
}

/** Splits a shell script into word lists, one per simple command. */
function splitScript(script: string): { commands: SimpleCommand[]; loops: string[] } {
  const groups: string[][] = [[]];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  const endWord = (): void => {
    if (inWord) groups[groups.length - 1]?.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (): void => {
    endWord();
    groups.push([]);
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i] ?? '';
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < script.length) word += script[++i];
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < script.length) {
      word += script[++i];
      inWord = true;
    } else if (ch === '$' && script[i + 1] === '(') {
      // `$(VAR)` is a Kubernetes variable reference and stays in its word; `$(cmd …)` runs a command.
      const ref = /^\$\([A-Za-z_][A-Za-z0-9_]*\)/.exec(script.slice(i));
      if (ref) {
        word += ref[0];
        inWord = true;
        i += ref[0].length - 1;
      } else {
        endCommand();
        i++;
      }
    } else if (ch === '#' && !inWord) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i++;
    } else if (/\s/.test(ch)) {
      if (ch === '\n') endCommand();
      else endWord();
    } else if (';&|()`'.includes(ch)) {
      endCommand();
    } else {
      word += ch;
      inWord = true;
    }
  }
  endWord();
  return wordsToCommands(groups);
}

function wordsToCommands(groups: string[][]): { commands: SimpleCommand[]; loops: string[] } {
  const commands: SimpleCommand[] = [];
  const loops: string[] = [];
  for (const words of groups) {
    let i = 0;
    for (;;) {
      const w = words[i];
      if (w === undefined) break;
      if (SHELL_KEYWORDS.has(w) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++;
      else if (WRAPPERS.has(baseName(w))) {
        i++;
        // `timeout 2 curl …`: skip the wrapper's own flags and number.
        while (words[i] !== undefined && /^(-|\d)/.test(words[i] ?? '')) i++;
      } else break;
    }
    const program = words[i];
    if (program === undefined) continue;
    if (LOOP_KEYWORDS.has(program)) {
      loops.push(program);
      continue;
    }
    commands.push({ program: baseName(program), args: words.slice(i + 1) });
  }
  return { commands, loops };
}

/**
 * Programs whose start-up alone costs tens to hundreds of milliseconds of CPU (a JVM, an
 * interpreter, a package manager): run every few seconds, in every replica, that adds up.
 */
const HEAVY_PROGRAMS = new Set([
  'java',
  'jshell',
  'jcmd',
  'jps',
  'jstack',
  'kotlin',
  'scala',
  'groovy',
  'mvn',
  'gradle',
  'gradlew',
  'sbt',
  'node',
  'nodejs',
  'deno',
  'npm',
  'npx',
  'yarn',
  'pnpm',
  'ruby',
  'irb',
  'rails',
  'rake',
  'bundle',
  'php',
  'dotnet',
  'pwsh',
  'powershell',
  'Rscript',
  'julia',
  'elixir',
  'mix',
  'erl',
]);

/** The first heavy program the command runs, e.g. `python3` or `java`. */
export function heavyProgram(shape: CommandShape): string | undefined {
  for (const c of shape.commands) {
    if (HEAVY_PROGRAMS.has(c.program) || /^(python|pypy)[\d.]*$/.test(c.program)) return c.program;
  }
  return undefined;
}

/** What in the command retries or waits: loop keywords, `sleep`, `curl --retry`, `wget --tries`. */
export function retryConstructs(shape: CommandShape): string[] {
  const found = shape.loops.map((k) => `a \`${k}\` loop`);
  for (const c of shape.commands) {
    if (c.program === 'sleep' || c.program === 'usleep') found.push('`sleep`');
    else if (/retry/i.test(c.program)) found.push(`\`${c.program}\``);
    for (const a of c.args) {
      if (/^--(retry|tries)(=|$)|^--retry-/.test(a)) found.push(`\`${c.program} ${a.split('=')[0] ?? a}\``);
    }
  }
  return [...new Set(found)];
}

/** Clients that open a connection somewhere: their host arguments are what matters. */
const NETWORK_TOOLS = new Set([
  'curl',
  'wget',
  'http',
  'https',
  'nc',
  'ncat',
  'netcat',
  'telnet',
  'socat',
  'ping',
  'nslookup',
  'dig',
  'host',
  'psql',
  'pg_isready',
  'mysql',
  'mysqladmin',
  'mariadb',
  'redis-cli',
  'mongo',
  'mongosh',
  'sqlplus',
  'tnsping',
  'cqlsh',
  'grpcurl',
  'grpc_health_probe',
  'kafkacat',
  'kcat',
  'openssl',
  'ldapsearch',
]);

/** Flags that take a host (or host:port) as their value, for the tools above. */
const HOST_FLAGS = new Set([
  '-h',
  '--host',
  '--hostname',
  '-host',
  '-addr',
  '--addr',
  '--bootstrap-server',
  '-connect',
  '--server',
]);

/** Tools whose first positional argument is the host (`nc -z db 5432`, `ping -c 1 db`). */
const HOST_FIRST_TOOLS = new Set([
  'nc',
  'ncat',
  'netcat',
  'telnet',
  'ping',
  'nslookup',
  'dig',
  'host',
  'tnsping',
]);
/** Their flags that take a value (`nc -w 1`, `ping -c 1`), so that the value is not taken for the host. */
const SHORT_VALUE_FLAGS = new Set(['-w', '-i', '-p', '-s', '-q', '-W', '-x', '-X', '-c', '-t', '-T']);

/** Whether `tool` is a client that talks to another process over the network. */
export function isNetworkTool(program: string): boolean {
  return NETWORK_TOOLS.has(program) || /^kafka-/.test(program);
}

function hostOfAddress(text: string): string | undefined {
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]*)/i.exec(text);
  if (url) return url[1];
  const ora = /@\/?\/?([^/:\s]+)/.exec(text); // sqlplus user/pass@host:1521/svc
  if (ora) return ora[1];
  const conninfo = /(?:^|\s)host=([^\s'"]+)/.exec(text); // psql "host=db dbname=app"
  if (conninfo) return conninfo[1];
  const hostPort = /^(\[[^\]]+\]|[A-Za-z0-9$(){}_.-]+):\d+(\/.*)?$/.exec(text);
  if (hostPort) return hostPort[1];
  return undefined;
}

/** Hosts a network client in the command talks to, with the tool that does: `{ tool: 'curl', host: 'db' }`. */
export function contactedHosts(shape: CommandShape): { tool: string; host: string }[] {
  const out: { tool: string; host: string }[] = [];
  for (const c of shape.commands) {
    if (!isNetworkTool(c.program)) continue;
    const hosts: string[] = [];
    let positional = 0;
    for (let i = 0; i < c.args.length; i++) {
      const a = c.args[i] ?? '';
      const eq = /^(-{1,2}[A-Za-z-]+)=(.*)$/.exec(a);
      if (eq && HOST_FLAGS.has(eq[1] ?? '')) {
        hosts.push(hostOfAddress(eq[2] ?? '') ?? eq[2] ?? '');
      } else if (HOST_FLAGS.has(a) && c.args[i + 1] !== undefined) {
        const v = c.args[++i] ?? '';
        hosts.push(hostOfAddress(v) ?? v);
      } else if (/^-h\S/.test(a) && c.program !== 'curl') {
        hosts.push(a.slice(2));
      } else {
        const h = hostOfAddress(a);
        if (h !== undefined) hosts.push(h);
        else if (HOST_FIRST_TOOLS.has(c.program)) {
          // The first positional word of these is the host; their one-letter flags with values are skipped.
          if (SHORT_VALUE_FLAGS.has(a)) i++;
          else if (!a.startsWith('-') && positional++ === 0) hosts.push(a);
        }
      }
    }
    for (const host of hosts) out.push({ tool: c.program, host });
  }
  return out;
}

/**
 * Whether a host is the pod itself: loopback, the unspecified address, or a variable holding the
 * pod's IP or name (`$(POD_IP)` in Kubernetes syntax, `$POD_IP` / `${POD_IP}` in a shell).
 */
export function isPodLocalHost(host: string, podIpVars: ReadonlySet<string>): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === '' || h === 'localhost' || h === '::1' || h === '0.0.0.0' || h === '::') return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(h)) return true;
  const variable =
    /^\$(?:\(([A-Za-z_][A-Za-z0-9_]*)\)|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(host);
  const name = variable?.[1] ?? variable?.[2] ?? variable?.[3];
  return name !== undefined && (podIpVars.has(name) || name === 'HOSTNAME');
}

/** Names in a path or command that say it checks something outside the container. */
const DEPENDENCY_WORDS = new Set([
  'db',
  'database',
  'databases',
  'sql',
  'postgres',
  'postgresql',
  'mysql',
  'mariadb',
  'redis',
  'kafka',
  'oracle',
  'mongo',
  'mongodb',
  'cassandra',
  'elasticsearch',
  'rabbitmq',
  'amqp',
  'memcached',
  'zookeeper',
  'ldap',
  'downstream',
  'upstream',
  'dependency',
  'dependencies',
  'deps',
]);

/**
 * The dependency words in a text, split on non-letters and camelCase (`/health/db`, `checkDb`,
 * `--check-dependencies` all count; `dbx` does not).
 */
export function dependencyWords(text: string): string[] {
  const words = text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/);
  return [...new Set(words.filter((w) => DEPENDENCY_WORDS.has(w)))];
}
