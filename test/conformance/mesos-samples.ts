/**
 * Hand-written, realistic Mesos v1 JSON messages (what a Cassandra pxfw framework sends and
 * receives). Functions return fresh objects so a test may break one copy without touching others.
 */

const FRAMEWORK_ID = { value: '5d1f1c32-0a6a-4d2e-9f0e-6a4c3b1f8a10-0001' };
const AGENT_ID = { value: '5d1f1c32-0a6a-4d2e-9f0e-6a4c3b1f8a10-S3' };

function scalar(name: string, value: number) {
  return { name, type: 'SCALAR', scalar: { value }, role: '*' };
}

function agentResources() {
  return [
    scalar('cpus', 8),
    scalar('mem', 31_744),
    scalar('disk', 102_400),
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31_000, end: 32_000 }] }, role: '*' },
  ];
}

function faultDomain(zone: string) {
  return { fault_domain: { region: { name: 'us-east-1' }, zone: { name: zone } } };
}

export function subscribeCall() {
  return {
    type: 'SUBSCRIBE',
    framework_id: FRAMEWORK_ID,
    subscribe: {
      framework_info: {
        user: 'nobody',
        name: 'cassandra',
        id: FRAMEWORK_ID,
        failover_timeout: 1_209_600,
        checkpoint: true,
        role: 'cassandra-role',
        principal: 'cassandra-principal',
        capabilities: [{ type: 'PARTITION_AWARE' }, { type: 'REGION_AWARE' }, { type: 'TASK_KILLING_STATE' }],
        labels: { labels: [{ key: 'pxfw.service', value: 'cassandra' }] },
      },
    },
  };
}

export function acceptLaunchGroupCall() {
  const executorId = { value: 'cassandra__node-0__executor' };
  return {
    type: 'ACCEPT',
    framework_id: FRAMEWORK_ID,
    accept: {
      offer_ids: [{ value: '5d1f1c32-0a6a-4d2e-9f0e-6a4c3b1f8a10-O42' }],
      operations: [
        {
          type: 'LAUNCH_GROUP',
          launch_group: {
            executor: {
              type: 'DEFAULT',
              executor_id: executorId,
              framework_id: FRAMEWORK_ID,
              resources: [scalar('cpus', 0.1), scalar('mem', 32), scalar('disk', 256)],
            },
            task_group: {
              tasks: [
                {
                  name: 'node-0-server',
                  task_id: { value: 'node-0-server__3f2a9c' },
                  agent_id: AGENT_ID,
                  resources: [scalar('cpus', 2), scalar('mem', 8192)],
                  command: {
                    shell: true,
                    value: 'exec ./apache-cassandra/bin/cassandra -f',
                    environment: { variables: [{ name: 'CASSANDRA_CLUSTER', value: 'cassandra' }] },
                  },
                  container: {
                    type: 'MESOS',
                    volumes: [
                      {
                        mode: 'RW',
                        container_path: 'cassandra-data',
                        source: {
                          type: 'DOCKER_VOLUME',
                          docker_volume: {
                            driver: 'pxd',
                            name: 'pxfw-cassandra-node-0-data',
                            driver_options: {
                              parameter: [
                                { key: 'size', value: '100' },
                                { key: 'repl', value: '3' },
                              ],
                            },
                          },
                        },
                      },
                    ],
                  },
                  labels: { labels: [{ key: 'pxfw.pod', value: 'node-0' }] },
                },
              ],
            },
          },
        },
      ],
      filters: { refuse_seconds: 5 },
    },
  };
}

export function updateEvent() {
  return {
    type: 'UPDATE',
    update: {
      status: {
        task_id: { value: 'node-0-server__3f2a9c' },
        state: 'TASK_RUNNING',
        source: 'SOURCE_EXECUTOR',
        agent_id: AGENT_ID,
        executor_id: { value: 'cassandra__node-0__executor' },
        timestamp: 1_732_580_000.123456,
        uuid: 'q7xJ2lG0Tj2m9Yw0bQe6Xw==',
        healthy: true,
        container_status: {
          container_id: { value: '9b0a1f8e-3c1d-4a55-8b8e-2f0f3e1d7c11' },
          network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: '10.0.1.13' }] }],
        },
      },
    },
  };
}

export function offersEvent() {
  return {
    type: 'OFFERS',
    offers: {
      offers: [
        {
          id: { value: '5d1f1c32-0a6a-4d2e-9f0e-6a4c3b1f8a10-O42' },
          framework_id: FRAMEWORK_ID,
          agent_id: AGENT_ID,
          hostname: 'agent-3.rack-b.example',
          url: {
            scheme: 'http',
            address: { hostname: 'agent-3.rack-b.example', ip: '10.0.1.13', port: 5051 },
            path: '/slave(1)',
          },
          domain: faultDomain('us-east-1b'),
          resources: agentResources(),
          attributes: [
            { name: 'rack', type: 'TEXT', text: { value: 'rack-b' } },
            { name: 'ssd', type: 'SCALAR', scalar: { value: 1 } },
          ],
        },
      ],
    },
  };
}

export function getAgentsResponse() {
  return {
    type: 'GET_AGENTS',
    get_agents: {
      agents: [
        {
          agent_info: {
            hostname: 'agent-3.rack-b.example',
            port: 5051,
            id: AGENT_ID,
            resources: agentResources(),
            attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'rack-b' } }],
            domain: faultDomain('us-east-1b'),
          },
          active: true,
          version: '1.4.3',
          pid: 'slave(1)@10.0.1.13:5051',
          // Nanoseconds since the epoch: past 2^53, so it arrives as a bigint.
          registered_time: { nanoseconds: 1_732_579_000_123_456_789n },
          total_resources: agentResources(),
        },
      ],
    },
  };
}
