package dev.vmsup.supervisor.cli;

import java.util.Arrays;

import picocli.CommandLine;
import dev.vmsup.supervisor.process.Rebirth;

/** Entry point of the {@code vmsup} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Rebirth.allowForThisProcess(); // this JVM is vmsup's own: run may re-execute it in its cgroup
        RunCommand run = args.length > 0 && args[0].equals("run")
                ? PlainRunArgs.parse(Arrays.copyOfRange(args, 1, args.length)) : null;
        System.exit(run != null ? callPlain(run) : commandLine().execute(args));
    }

    /** A run read without picocli, with the same last word on an exception as {@link #commandLine()}'s handler. */
    private static int callPlain(RunCommand run) {
        try {
            return run.call();
        } catch (RuntimeException e) {
            System.err.println("vmsup: " + e.getMessage());
            return exitCodeOf(e);
        }
    }

    private static int exitCodeOf(Exception e) {
        return e instanceof IllegalArgumentException ? ExitCodes.USAGE : ExitCodes.FAILURE;
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new VmsupCommand());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("vmsup: " + e.getMessage());
            return exitCodeOf(e);
        });
        return cl;
    }
}
