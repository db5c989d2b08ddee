/**
 * Imports every module that registers job handlers, so a worker process knows all job kinds.
 * Add a line here when a module calls registerJob.
 */
export {};
