package dev.vmsup.supervisor.vm;

import dev.vmsup.supervisor.SupervisorException;












/**
 * A QMP command got no reply within its deadline (QEMU stopped, overloaded or hung). QEMU may still carry it out
 * later, so what the supervisor knows of the VM must be read again from QEMU before it is trusted.
 */
public final class VmNotAnsweringException extends SupervisorException {
    VmNotAnsweringException(String message) {
        super(message);
    }

    /** True if {@code e} or one of its causes (or suppressed) is a missed QMP deadline. */
    public static boolean in(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof VmNotAnsweringException) {
                return true;
            }
            for (Throwable s : t.getSuppressed()) {
                if (in(s)) {
                    return true;
                }
            }
        }
        return false;
    }
}
