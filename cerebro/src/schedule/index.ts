export { CronSchedule, checkCron, isKnownTimeZone, UTC } from "./cron.js";
export {
  DEFAULT_RETRY_DELAY_MS,
  type ScheduleCursors,
  type ScheduledRunRequest,
  Scheduler,
  type SchedulerOptions,
  type SchedulerPorts,
} from "./scheduler.js";
