// Kubernetes fills in $(NODE_IP) and $(POD_IP) in a container's variables, never in a file
// mounted from a ConfigMap. Endpoints in the ZEEK_ZMQ_CONFIG file, the ones a reload can
// change, may still bind on the node's own address: `$(NAME)` in them is replaced by the
// variable NAME of the shipper's environment, as Kubernetes would have done.

const REFERENCE = /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g

type Variables = Readonly<Record<string, string | undefined>>

function expandText(text: string, env: Variables, missing: Set<string>): string {
  return text.replace(REFERENCE, (whole, name: string) => {
    const value = env[name]
    if (value === undefined) missing.add(name)
    return value ?? whole
  })
}

/**
 * The value with every `$(NAME)` in its strings (at any depth) replaced from `env`; a
 * reference to a variable that is not set is left as written and reported.
 */
export function expandEnvReferences(value: unknown, env: Variables, problems: string[]): unknown {
  const missing = new Set<string>()
  const expand = (node: unknown): unknown => {
    if (typeof node === 'string') return expandText(node, env, missing)
    if (Array.isArray(node)) return node.map(expand)
    if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, expand(item)]))
    return node
  }
  const expanded = expand(value)
  for (const name of missing) problems.push(`$(${name}) names a variable that is not set in the environment`)
  return expanded
}
