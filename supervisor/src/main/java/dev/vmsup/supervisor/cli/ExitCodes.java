package dev.vmsup.supervisor.cli;

import dev.vmsup.supervisor.sandbox.Termination;























/** What {@code vmsup} exits with. */
public final class ExitCodes {
    /** QEMU ended cleanly (guest power-off, or a stop that was asked for). */
    public static final int OK = 0;
    /** The sandbox failed or QEMU died; the message on stderr says why. */
    public static final int FAILURE = 1;
    /** Bad usage, configuration or input; nothing was created. */
    public static final int USAGE = 2;

    /** The exit code for how a sandbox ended. */
    public static int of(Termination end) {
        return end.failed() ? FAILURE : OK;
    }

    private ExitCodes() {
    }
}
