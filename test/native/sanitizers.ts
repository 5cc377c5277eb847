// npm run test:native-sanitizers: builds the addon with AddressSanitizer and
// UndefinedBehaviorSanitizer (gcc's -fsanitize=address,undefined) in a folder of its own,
// and runs the native plane's tests against that build, real sockets and all. Node.js is
// not built with ASan, so the runtimes are preloaded (LD_PRELOAD), ASan's first. Leaks
// are checked (LeakSanitizer) on the plane's C++ driven without Node.js: leak-check.cc.
//
// Exits 0 with one line saying why when the compiler or the runtimes are missing, unless
// ZZS_REQUIRE_SANITIZERS=1 (CI) makes that a failure.

import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runNodeGyp } from '../../src/native/node-gyp.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SOURCES = join(ROOT, 'src', 'native')
const SANITIZE = '-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g'

function runtime(name: string): string | undefined {
  const result = spawnSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' })
  const path = result.stdout?.trim()
  return result.status === 0 && path !== undefined && path.startsWith('/') && existsSync(path) ? path : undefined
}

function giveUp(reason: string): never {
  const required = process.env.ZZS_REQUIRE_SANITIZERS === '1'
  process.stderr.write(`native sanitizer run ${required ? 'failed' : 'skipped'}: ${reason}\n`)
  process.exit(required ? 1 : 0)
}

const asan = runtime('libasan.so')
const ubsan = runtime('libubsan.so')
if (asan === undefined || ubsan === undefined) giveUp('gcc or its sanitizer runtimes (libasan, libubsan) are not installed')

const dir = mkdtempSync(join(tmpdir(), 'zzs-sanitizers-'))
try {
  for (const file of readdirSync(SOURCES)) {
    if (/\.(cc|h|gyp)$/.test(file)) cpSync(join(SOURCES, file), join(dir, file))
  }
  process.stderr.write(`building the addon with ${SANITIZE}\n`)
  const problem = runNodeGyp(dir, {
    ...process.env,
    NODE_PATH: join(ROOT, 'node_modules'), // binding.gyp finds node-addon-api from here
    ZZS_NATIVE_CFLAGS: SANITIZE,
    ZZS_NATIVE_LDFLAGS: '-fsanitize=address,undefined',
  })
  if (problem !== undefined) giveUp(`the sanitizer build failed: ${problem}`)
  const addon = join(dir, 'build', 'Release', 'zeek_zmq_native.node')
  // A run against an uninstrumented build would pass and prove nothing.
  if (!readFileSync(addon).includes('__asan_init') || !readFileSync(addon).includes('__ubsan_handle')) giveUp('the build is not instrumented')

  const leakCheck = join(dir, 'leak-check')
  const plane = ['plane.cc', 'endpoint.cc', 'endpoint-queue.cc', 'path-table.cc', 'reconfiguration.cc'].map((file) => join(dir, file))
  const compile = spawnSync('g++', ['-std=c++17', '-O1', ...SANITIZE.split(' '), `-I${dir}`, ...plane, join(ROOT, 'test', 'native', 'leak-check.cc'), '-lzmq', '-lpthread', '-o', leakCheck], { encoding: 'utf8' })
  if (compile.status !== 0) giveUp(`the leak check does not build: ${compile.stderr.trim().split('\n').at(-1)}`)
  const sockets = mkdtempSync(join(tmpdir(), 'zzs-leak-check-'))
  process.stderr.write('leak check: the plane without Node.js, under LeakSanitizer\n')
  const leaks = spawnSync(leakCheck, [sockets], { stdio: 'inherit', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:halt_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' } })
  rmSync(sockets, { recursive: true, force: true })
  if (leaks.status !== 0) process.exitCode = leaks.status ?? 1

  const tests = readdirSync(join(ROOT, 'test', 'native'))
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => join('test', 'native', file))
  const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=180000', ...tests], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      ZZS_NATIVE_ADDON: addon,
      ZZS_REQUIRE_NATIVE: '1',
      ZZS_SANITIZED: '1',
      LD_PRELOAD: `${asan} ${ubsan}`,
      // Node.js and V8 keep memory to the end on purpose: leaks are not checked there
      // (LeakSanitizer cannot tell theirs from the addon's without Node.js built for it).
      ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    },
  })
  if (run.status !== 0) process.exitCode = run.status ?? 1
  process.stderr.write(`native sanitizer run: ${process.exitCode ? 'FAILED' : 'passed'}\n`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
