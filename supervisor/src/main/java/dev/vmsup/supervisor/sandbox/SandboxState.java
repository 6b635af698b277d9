package dev.vmsup.supervisor.sandbox;

/** Life of a sandbox, as the control API reports it. */
public enum SandboxState {
    CREATED, RUNNING, PAUSED, STOPPING, STOPPED
}
