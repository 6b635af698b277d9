package dev.vmsup.supervisor.testing;

import java.io.PrintWriter;
import java.io.StringWriter;

import picocli.CommandLine;
import dev.vmsup.supervisor.cli.VmsupCommand;

/** Runs one {@code vmsup} command line in this JVM and keeps its exit code, stdout and stderr. */
public record InProcessCli(int code, String out, String err) {

    public static InProcessCli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = VmsupCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new InProcessCli(cl.execute(args), out.toString(), err.toString());
    }
}
