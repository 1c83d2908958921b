import Hummingbird
import LegacyCompat
import NewAPI
import NIOCore

/// The one request context of the gateway: what every controller, of both API generations, sees.
struct GatewayRequestContext: RequestContext, NewAPIRequestContext, LegacyRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    var legacySession: LegacySession?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    var clientIP: String { remoteAddress?.ipAddress ?? "unknown" }

    /// JSON bodies of the JWT API are limited to 1 MiB (jwt-api.md §1.11); uploads stream instead.
    var maxUploadSize: Int { 1 << 20 }
}
