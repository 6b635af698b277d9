package dev.vmsup.supervisor.cli;

import picocli.CommandLine;
import dev.vmsup.supervisor.process.Rebirth;

/** Entry point of the {@code vmsup} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Rebirth.allowForThisProcess(); // this JVM is vmsup's own: run may re-execute it in its cgroup
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new VmsupCommand());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("vmsup: " + e.getMessage());
            return e instanceof IllegalArgumentException ? ExitCodes.USAGE : ExitCodes.FAILURE;
        });
        return cl;
    }
}
