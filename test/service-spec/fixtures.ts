/** A minimal valid spec; tests patch one field at a time to check each error path. */
export const MINIMAL = `
name: demo
pods:
  node:
    count: 2
    cpus: 0.5
    mem: 512
    command: sleep 1000
    volumes:
      - name: data
        path: /data
        size: 1
        repl: 2
`;

export function withPod(extra: string): string {
  return `
name: demo
pods:
  node:
    count: 2
    cpus: 0.5
    mem: 512
    command: sleep 1000
${extra}
`;
}
