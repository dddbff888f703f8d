import { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';

import { CA } from './gateway-process';

export interface TextReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A GET over HTTPS (trusting only the development certificate) whose body is kept as text. */
export function httpsText(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<TextReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: 'localhost',
        port,
        path,
        method: 'GET',
        ca: CA,
        headers,
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text }),
        );
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}

/** One series' value on a gateway's `/metrics` (e.g. `chat_bus_events_received_total{kind="dm"}`); NaN when absent. */
export async function metricValue(
  port: number,
  token: string,
  series: string,
): Promise<number> {
  const { text } = await httpsText(port, '/metrics', {
    authorization: `Bearer ${token}`,
  });
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ').pop() ?? Number.NaN);
}
