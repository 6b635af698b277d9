package dev.vmsup.supervisor.sandbox;

import dev.vmsup.supervisor.SupervisorException;












/**
 * A container change the kernel or the limits' arithmetic refused. It was rolled back: the recorded containers
 * and the limits in force are as they were before the request.
 */
public final class ChangeRefusedException extends SupervisorException {
    ChangeRefusedException(String step, Throwable cause) {
        super(step + " was refused; nothing changed", cause);
    }
}
