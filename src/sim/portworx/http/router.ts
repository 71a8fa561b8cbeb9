import type { IncomingMessage } from 'node:http';
import type { SimNode } from '../model/types';

/** sdk: OpenStorage SDK gateway; legacy: the port-9001 REST API; sim: simulator control routes. */
export type RouteKind = 'sdk' | 'legacy' | 'sim';

export interface RouteContext {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The node whose SDK endpoint is serving this request (header `x-pxfw-node`). */
  node: SimNode;
}

export type RouteResult =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'stream'; lines: unknown[] };

export interface Route {
  method: string;
  pattern: string;
  kind: RouteKind;
  handle(ctx: RouteContext): RouteResult;
}

export const ok = (body: unknown): RouteResult => ({ kind: 'json', status: 200, body });

interface Compiled {
  route: Route;
  regex: RegExp;
  names: string[];
}

/** Path-template routing (`/v1/volumes/{volume_id}`); a template segment matches one path segment. */
export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: Route[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.pattern
        .split('/')
        .map((seg) => {
          const m = /^\{(\w+)\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]!);
          return '([^/]*)';
        })
        .join('/');
      return { route, regex: new RegExp(`^${source}$`), names };
    });
  }

  /** The route for method+path; `methodMismatch` when only another method matches the path. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'methodMismatch' | undefined {
    let pathMatched = false;
    for (const c of this.compiled) {
      const m = c.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? '')));
      return { route: c.route, params };
    }
    return pathMatched ? 'methodMismatch' : undefined;
  }
}
