export { MesosSimulator, type SimAgentSummary, type SimTaskSummary } from './simulator';
export type { MesosSimOptions, HostEvents } from './options';
export type { RestartOptions } from './agent-faults';
export type { VolumeIsolator, IsolatedTask, DockerVolume, VolumeMount } from './isolator';
export { PXD_DRIVER } from './isolator';
export {
  SimAgentNotFoundError,
  SimTaskNotFoundError,
  SimInvalidTransitionError,
  SimOptionsError,
  SimListenError,
  SimControlError,
} from './errors';
export { simControl } from './control-client';
export type { CommandBehaviour, SimAgentCall, SimCommandRecord } from './agent-api';
