// Real-shaped Zeek records, as the writer plugin publishes them: JSON with epoch
// timestamps, 400-500 bytes, over several log paths. Deterministic, so runs compare.

const PATHS = ['conn', 'dns', 'http', 'ssl', 'files'] as const

function ip(i: number, net: number): string {
  return `10.${net}.${(i >> 8) & 255}.${i & 255}`
}

function uid(i: number): string {
  return `C${(i * 2654435761 >>> 0).toString(36).padStart(7, 'x')}${(i % 97).toString(36)}Zk3`
}

const BODIES: Record<(typeof PATHS)[number], (i: number, ts: number) => object> = {
  conn: (i, ts) => ({
    ts, uid: uid(i), 'id.orig_h': ip(i, 1), 'id.orig_p': 40000 + (i % 20000), 'id.resp_h': ip(i * 7, 2), 'id.resp_p': 443,
    proto: 'tcp', service: 'ssl', duration: 1.234567 + (i % 100) / 1000, orig_bytes: 1024 + i % 4096, resp_bytes: 40960 + i % 9999,
    conn_state: 'SF', local_orig: true, local_resp: false, missed_bytes: 0, history: 'ShADadFf', orig_pkts: 12, orig_ip_bytes: 1664,
    resp_pkts: 34, resp_ip_bytes: 42728, community_id: '1:Jq7JtXSjF0c8l8Ue5Rz0yqFHxPQ=',
  }),
  dns: (i, ts) => ({
    ts, uid: uid(i), 'id.orig_h': ip(i, 1), 'id.orig_p': 50000 + (i % 10000), 'id.resp_h': '10.0.0.53', 'id.resp_p': 53, proto: 'udp',
    trans_id: i % 65536, rtt: 0.012345, query: `host-${i % 1000}.example.com`, qclass: 1, qclass_name: 'C_INTERNET', qtype: 1,
    qtype_name: 'A', rcode: 0, rcode_name: 'NOERROR', AA: false, TC: false, RD: true, RA: true, Z: 0,
    answers: [ip(i, 9), ip(i + 1, 9)], TTLs: [300.0, 300.0], rejected: false,
  }),
  http: (i, ts) => ({
    ts, uid: uid(i), 'id.orig_h': ip(i, 1), 'id.orig_p': 40000 + (i % 20000), 'id.resp_h': ip(i * 3, 3), 'id.resp_p': 80,
    trans_depth: 1, method: 'GET', host: `www-${i % 50}.example.org`, uri: `/assets/app-${i % 500}.js?v=20261129`,
    version: '1.1', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0', request_body_len: 0,
    response_body_len: 18231, status_code: 200, status_msg: 'OK', tags: [], resp_fuids: [`F${uid(i + 1)}`], resp_mime_types: ['text/javascript'],
  }),
  ssl: (i, ts) => ({
    ts, uid: uid(i), 'id.orig_h': ip(i, 1), 'id.orig_p': 40000 + (i % 20000), 'id.resp_h': ip(i * 7, 2), 'id.resp_p': 443,
    version: 'TLSv13', cipher: 'TLS_AES_128_GCM_SHA256', curve: 'x25519', server_name: `api-${i % 80}.example.net`,
    resumed: false, established: true, ssl_history: 'CsiI', cert_chain_fps: [], client_cert_chain_fps: [], sni_matches_cert: true,
    ja3: 'e7d705a3286e19ea42f587b344ee6865', ja3s: 'f4febc55ea12b31ae17cfb7e614afda8',
  }),
  files: (i, ts) => ({
    ts, fuid: `F${uid(i)}`, uid: uid(i), 'id.orig_h': ip(i * 3, 3), 'id.orig_p': 80, 'id.resp_h': ip(i, 1), 'id.resp_p': 40000 + (i % 20000),
    source: 'HTTP', depth: 0, analyzers: ['MD5', 'SHA1'], mime_type: 'text/javascript', duration: 0.000123, is_orig: false,
    seen_bytes: 18231, total_bytes: 18231, missing_bytes: 0, overflow_bytes: 0, timedout: false,
    md5: '9e107d9d372bb6826bd81d3542a419d6', sha1: '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12',
  }),
}

export const ZEEK_PATHS: readonly string[] = PATHS

/** The i-th record of a deterministic stream cycling over the paths: [path, JSON] frames. */
export function zeekMessage(i: number): [Buffer, Buffer] {
  const path = PATHS[i % PATHS.length]!
  const ts = 1795900000 + i / 1000
  return [Buffer.from(path), Buffer.from(JSON.stringify(BODIES[path](i, ts)))]
}

/** The i-th record for a given path. */
export function zeekMessageFor(path: string, i: number): [Buffer, Buffer] {
  const [, record] = zeekMessage(i * PATHS.length + Math.max(0, PATHS.indexOf(path as (typeof PATHS)[number])))
  return [Buffer.from(path), record]
}
