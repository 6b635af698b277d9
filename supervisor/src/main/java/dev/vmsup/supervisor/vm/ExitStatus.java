package dev.vmsup.supervisor.vm;

/** What a child's exit status says, in words. */
final class ExitStatus {
    private ExitStatus() {
    }

    /** Null for status 0, else "exit status N" or "killed by signal N" (the JDK reports a signal as 128 + N). */
    static String abnormal(int status) {
        if (status == 0) {
            return null;
        }
        return status > 128 ? "killed by signal " + (status - 128) : "exit status " + status;
    }
}
