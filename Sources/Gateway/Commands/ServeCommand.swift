import ArgumentParser
import Hummingbird
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Apply pending schema migrations, then serve HTTP and WebSocket.")

    @Option(help: "Seconds in-flight requests get to finish after SIGTERM/SIGINT.")
    var shutdownGraceSeconds: Int = 15

    func run() async throws {
        let environment = try CommandEnvironment.load()
        let app = try await GatewayApplication.build(
            configuration: environment.configuration, migrations: environment.migrations, logger: environment.logger)
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: environment.logger)
        configuration.maximumGracefulShutdownDuration = .seconds(shutdownGraceSeconds)
        try await ServiceGroup(configuration: configuration).run()
    }
}
