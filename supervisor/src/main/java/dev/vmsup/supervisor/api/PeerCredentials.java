package dev.vmsup.supervisor.api;

import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/** The user at the other end of an API connection, from the kernel (SO_PEERCRED), never from the request. */
final class PeerCredentials {
    private PeerCredentials() {
    }

    /** The peer's user name, or null when the kernel did not say. */
    static String user(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            return null;
        }
        Channel channel = base.channel();
        try {
            UnixDomainPrincipal p = channel.config().getOption(NioChannelOption.of(ExtendedSocketOptions.SO_PEERCRED));
            return p == null ? null : p.user().getName();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Root and the supervisor's own user may use the API; nobody else. */
    static boolean allowed(String user) {
        return user != null && (user.equals("root") || user.equals(System.getProperty("user.name")));
    }
}
