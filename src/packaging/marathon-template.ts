/** Alias of the scheduler image in resource.json (`resource.assets.container.docker.<alias>`). */
export const SCHEDULER_IMAGE_ALIAS = 'pxfw-scheduler';

/** Where the scheduler's shell command writes the spec and the NATS credentials in its sandbox. */
const SPEC_FILE = '$MESOS_SANDBOX/pxfw-spec.yml';
const CREDS_FILE = '$MESOS_SANDBOX/nats.creds';

/**
 * The scheduler's V8 heap cap (--max-old-space-size, MiB) for `memMb` MiB of app memory. Marathon
 * enforces `mem` as a hard limit, but V8 sizes its heap from the machine and lets garbage pile up
 * far past the limit (a 10,000-pod deploy: 1.1 GB RSS for ~120 MB live). Three quarters of the
 * memory, less 64 MiB, leaves the rest for what is not old space: the young generation, code,
 * node's and the modules' native memory (~125 MB RSS at start). The command's shell computes the
 * same integer arithmetic; test/packaging checks both agree.
 */
export function heapCapMb(memMb: number): number {
  return Math.floor((Math.floor(memMb) * 3) / 4) - 64;
}

/**
 * Tells node the heap cap for the memory Marathon gives the task (MARATHON_APP_RESOURCE_MEM, MiB,
 * e.g. "512.0"), unless NODE_OPTIONS already sets one (the user's flag wins) or the variable is
 * missing. POSIX sh: Mesos runs `cmd` with /bin/sh -c.
 */
function heapCapCommand(): string {
  return [
    'case "$NODE_OPTIONS" in *--max-old-space-size*|*--max_old_space_size*) ;; *)',
    'PXFW_APP_MEM="${MARATHON_APP_RESOURCE_MEM%%.*}";',
    'if [ -n "$PXFW_APP_MEM" ]; then export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-old-space-size=$(( PXFW_APP_MEM * 3 / 4 - 64 ))"; fi;;',
    'esac',
  ].join(' ');
}

/**
 * The scheduler's shell command. Marathon env values are literal, so what must be derived at
 * launch (the heap cap from the app's memory, the spec file, the credentials file, the HTTP port
 * from PORT0) is done here; umask keeps both files private to the service user.
 */
function schedulerCommand(): string {
  return [
    'umask 077',
    heapCapCommand(),
    `printf '%s\\n' "$PXFW_SPEC_YAML" > "${SPEC_FILE}"`,
    `{{#nats.creds_secret}}printf '%s\\n' "$PXFW_NATS_CREDS_CONTENT" > "${CREDS_FILE}" && export NATS_CREDS="${CREDS_FILE}" && {{/nats.creds_secret}}export PXFW_HTTP_PORT="$PORT0"`,
    `exec pxfw run --spec "${SPEC_FILE}"`,
  ].join(' && ');
}

/**
 * marathon.json.mustache of a pxfw package. `specYamlJson` is the spec YAML as a JSON string
 * literal (quotes included) with mustache tags where options go. Sections that depend on optional
 * options are mustache sections, so the file is a template, not JSON.
 */
export function marathonTemplate(specYamlJson: string): string {
  const q = (s: string) => JSON.stringify(s);
  return `{
  "id": "{{service.name}}",
  "instances": 1,
  "taskKillGracePeriodSeconds": 30,
  "cpus": {{service.cpus}},
  "mem": {{service.mem}},
  "disk": 0,
  "user": "{{service.user}}",
  "cmd": ${q(schedulerCommand())},
  "container": {
    "type": "MESOS",
    "docker": {
      "image": "{{#service.image}}{{service.image}}{{/service.image}}{{^service.image}}{{resource.assets.container.docker.${SCHEDULER_IMAGE_ALIAS}}}{{/service.image}}",
      "forcePullImage": false
    }
  },
  "labels": {
    "DCOS_SERVICE_NAME": "{{service.name}}",
    "DCOS_PACKAGE_FRAMEWORK_NAME": "{{service.name}}",
    "DCOS_SERVICE_SCHEME": "http",
    "DCOS_SERVICE_PORT_INDEX": "0",
    "DCOS_COMMONS_API_VERSION": "v1",
    "MARATHON_SINGLE_INSTANCE_APP": "true"
  },
  {{#nats.creds_secret}}
  "secrets": {
    "natsCreds": { "source": "{{nats.creds_secret}}" }{{#service.service_account_secret}},
    "serviceCredential": { "source": "{{service.service_account_secret}}" }{{/service.service_account_secret}}
  },
  {{/nats.creds_secret}}
  {{^nats.creds_secret}}{{#service.service_account_secret}}
  "secrets": {
    "serviceCredential": { "source": "{{service.service_account_secret}}" }
  },
  {{/service.service_account_secret}}{{/nats.creds_secret}}
  "env": {
    "PXFW_SPEC_YAML": ${specYamlJson},
    "PXFW_MESOS_URL": "{{mesos.url}}",
    {{#marathon.url}}
    "PXFW_MARATHON_URL": "{{marathon.url}}",
    {{/marathon.url}}
    "PXFW_PORTWORX_URL": "{{portworx.url}}",
    {{#portworx.legacy_url}}
    "PXFW_PORTWORX_LEGACY_URL": "{{portworx.legacy_url}}",
    {{/portworx.legacy_url}}
    {{#nats.creds_secret}}
    "PXFW_NATS_CREDS_CONTENT": { "secret": "natsCreds" },
    {{/nats.creds_secret}}
    {{#service.service_account_secret}}
    "PXFW_SERVICE_ACCOUNT_CREDENTIAL": { "secret": "serviceCredential" },
    {{/service.service_account_secret}}
    {{#service.service_account}}
    "PXFW_MESOS_PRINCIPAL": "{{service.service_account}}",
    {{/service.service_account}}
    "NATS_URL": "{{nats.url}}",
    "PXFW_LOG_LEVEL": "{{service.log_level}}"
  },
  "portDefinitions": [
    { "port": 0, "protocol": "tcp", "name": "http" }
  ],
  "healthChecks": [
    {
      "protocol": "MESOS_HTTP",
      "path": "/health",
      "portIndex": 0,
      "gracePeriodSeconds": 300,
      "intervalSeconds": 30,
      "timeoutSeconds": 10,
      "maxConsecutiveFailures": 5
    }
  ],
  "upgradeStrategy": {
    "minimumHealthCapacity": 0,
    "maximumOverCapacity": 0
  }
}
`;
}
