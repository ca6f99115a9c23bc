import CompactRecKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP recommendation server of `compactrec serve`: Hummingbird 2 under
/// swift-service-lifecycle, serving one or more model files.
///
/// Models are loaded and verified before the server listens. SIGTERM and SIGINT shut it down
/// gracefully (sequential requests waiting for a batch go at once, the server stops accepting,
/// finishes the requests in flight and returns); SIGHUP, the admin route and replaced files
/// reload models without dropping requests.
public struct RecommendationServer: Sendable {
  public let configuration: ServerConfiguration
  /// The models in service.
  public let store: ModelStore
  private let metrics: ServerMetrics
  let admission: AdmissionControl
  private let logger: Logger

  /// Loads every model of `configuration`; throws when one cannot be served.
  public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "compactrec.serve")) throws {
    self.configuration = configuration
    self.logger = logger
    let metrics = ServerMetrics()
    self.metrics = metrics
    admission = AdmissionControl(limits: configuration.limits, onChange: { metrics.setInFlight($0) })
    store = try ModelStore(
      sources: configuration.models, batchWait: configuration.batchWait, metrics: metrics, logger: logger)
  }

  /// The router with every route of the API.
  func router() -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: APIMiddleware(metrics: metrics))
    APIHandlers(store: store, metrics: metrics, admission: admission, adminToken: configuration.adminToken)
      .register(on: router)
    return router
  }

  /// The application: the router, the HTTP/1.1 server on the configured address, and the
  /// reload triggers. `onListening` hears the bound port (useful with port 0). A caller that
  /// runs it in a service group of its own, instead of `run`, should call
  /// `store.drainBatchers()` when graceful shutdown begins, as `run` does.
  public func application(
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
  ) -> some ApplicationProtocol {
    let limits = configuration.limits
    return Application(
      router: router(),
      server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(limits.idleTimeout.seconds * 1e9)))),
      configuration: ApplicationConfiguration(
        address: .hostname(configuration.host, port: configuration.port), serverName: "compactrec",
        availableConnectionsDelegate: .maximum(limits.maxConnections, logger: logger)),
      services: [ReloadTriggers(store: store, interval: configuration.watchInterval, logger: logger)],
      onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
      logger: logger)
  }

  /// Serves until SIGTERM or SIGINT, then shuts down gracefully and returns. Each BLAS call
  /// then runs on one thread: requests are spread over the cores instead (`BLAS.useOneThreadPerCall`).
  public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
    BLAS.useOneThreadPerCall()
    signal(SIGHUP, SIG_IGN)  // until the reload trigger listens, a SIGHUP must not end the process
    // Graceful shutdown runs through the services in reverse: the batchers drain first, then
    // the application stops accepting and finishes its requests.
    let services: [any Service] = [application(onListening: onListening), BatchDrain(store: store)]
    try await ServiceGroup(
      configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    ).run()
  }
}
