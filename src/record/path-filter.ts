// Include/exclude filters on Zeek log paths, with the semantics of the writer plugin's
// send_logs (empty means every log) and excluded_log_ids (exclude wins).
// Filters are evaluated once per distinct path, never per record: see PathTable.

export interface PathFilter {
  readonly include: readonly string[]
  readonly exclude: readonly string[]
}

const PATTERN = /^[A-Za-z0-9_.*-]+$/

/** Returns why `pattern` is not a valid path pattern, or undefined when it is. */
export function checkPathPattern(pattern: string): string | undefined {
  if (PATTERN.test(pattern)) return undefined
  return `"${pattern}" is not a log path pattern (letters, digits, "_", ".", "-" and the wildcard "*")`
}

/** Splits a comma list as operators write it: "http, files,,dns*" -> ["http", "files", "dns*"]. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/\./g, '\\.').replace(/\*/g, '.*')
  return new RegExp(`^${escaped}$`)
}

export type PathPredicate = (path: string) => boolean

export function compilePathFilter(filter: PathFilter): PathPredicate {
  const include = filter.include.map(patternToRegExp)
  const exclude = filter.exclude.map(patternToRegExp)
  return (path) => {
    if (exclude.some((re) => re.test(path))) return false
    return include.length === 0 || include.some((re) => re.test(path))
  }
}
