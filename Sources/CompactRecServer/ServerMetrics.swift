import CoreMetrics
import Foundation
import Prometheus

/// The server's metrics, recorded through swift-metrics into its own Prometheus registry
/// (not the process-wide `MetricsSystem`, so that several servers, as in tests, keep apart)
/// and rendered as Prometheus text by `GET /metrics`.
///
/// - `compactrec_http_requests_total{route,method,status}`: requests answered.
/// - `compactrec_http_request_duration_seconds{route}`: a latency histogram.
/// - `compactrec_models_loaded`: models in service.
/// - `compactrec_model_reloads_total{model,result}`: reloads, `result` = `ok` or `failed`.
/// - `compactrec_requests_shed_total`: requests turned away with 503 at the load limit.
/// - `compactrec_requests_in_flight`: requests admitted for scoring and not yet answered.
/// - `compactrec_batch_queries`: queries per dynamic-batching pass of a sequential model.
final class ServerMetrics: @unchecked Sendable {
  // @unchecked: the handler caches are only touched under `lock`; the handlers themselves are
  // thread-safe.
  private let registry = PrometheusCollectorRegistry()
  private let factory: PrometheusMetricsFactory
  private let lock = NSLock()
  private var counters: [String: CoreMetrics.Counter] = [:]
  private var timers: [String: CoreMetrics.Timer] = [:]
  private let modelsLoaded: CoreMetrics.Gauge
  private let shed: CoreMetrics.Counter
  private let inFlight: CoreMetrics.Gauge
  private let batchQueries: CoreMetrics.Recorder

  init() {
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.defaultDurationHistogramBuckets = [
      .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
      .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
      .milliseconds(250), .seconds(1), .seconds(5),
    ]
    factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    self.factory = factory
    modelsLoaded = CoreMetrics.Gauge(label: "compactrec_models_loaded", factory: factory)
    shed = CoreMetrics.Counter(label: "compactrec_requests_shed_total", factory: factory)
    inFlight = CoreMetrics.Gauge(label: "compactrec_requests_in_flight", factory: factory)
    batchQueries = CoreMetrics.Recorder(label: "compactrec_batch_queries", aggregate: true, factory: factory)
  }

  /// Records one answered request.
  func request(route: String, method: String, status: Int, duration: Duration) {
    let countKey = "\(route) \(method) \(status)"
    let (counter, timer) = lock.withLock {
      let counter =
        counters[countKey]
        ?? {
          let c = CoreMetrics.Counter(
            label: "compactrec_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
          counters[countKey] = c
          return c
        }()
      let timer =
        timers[route]
        ?? {
          let t = CoreMetrics.Timer(
            label: "compactrec_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
          timers[route] = t
          return t
        }()
      return (counter, timer)
    }
    counter.increment()
    timer.recordNanoseconds(Int64(duration.seconds * 1e9))
  }

  /// Sets the number of models in service.
  func setModelsLoaded(_ n: Int) { modelsLoaded.record(n) }

  /// Records one reload of `model`.
  func reload(model: String, ok: Bool) {
    CoreMetrics.Counter(
      label: "compactrec_model_reloads_total", dimensions: [("model", model), ("result", ok ? "ok" : "failed")],
      factory: factory
    ).increment()
  }

  /// Sets the number of requests in scoring or waiting for it.
  func setInFlight(_ n: Int) { inFlight.record(n) }

  /// Records a request turned away at the load limit.
  func shedRequest() { shed.increment() }

  /// Records the size of one dynamic-batching pass.
  func batch(queries: Int) { batchQueries.record(queries) }

  /// The Prometheus text exposition of every metric.
  func render() -> String { registry.emitToString() }
}
