public import Prometheus
import Hummingbird
import Metrics

/// The metrics one process exposes at `/metrics` in Prometheus' text format: its own HTTP
/// requests, `switchboard_build_info`, and — once ``bootstrap()`` made this registry the process's
/// swift-metrics backend — what the job queue and the workers record.
public final class ProcessMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// `role` (serve, worker) and `version` label `switchboard_build_info`.
    public init(role: String, version: String, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "switchboard_build_info", unitName: "",
                                                            helpText: "1, labelled with what runs: the role and the version"),
                           labels: [("role", role), ("version", version)]).set(to: 1.0)
    }

    /// Makes this registry the backend of swift-metrics for the whole process; call once, at start.
    public func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    func addRoute(to router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
    }

    /// Counts and times every request: `switchboard_http_requests_total{method,route,status}` and
    /// `switchboard_http_request_duration_seconds{method,route}`. The route is the matched
    /// pattern (`/v1/inbound/{channel}`), never the path a client sent, so labels stay bounded.
    func middleware() -> HTTPMetricsMiddleware { HTTPMetricsMiddleware(registry: registry) }
}

struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let registry: PrometheusCollectorRegistry
    static let buckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                      .seconds(2.5), .seconds(5), .seconds(10)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let method = [.get, .post, .head].contains(request.method) ? request.method.rawValue : "other"
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            record(method: method, route: context.endpointPath ?? "unmatched", status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
        record(method: method, route: context.endpointPath ?? "unmatched", status: response.status.code, since: started)
        return response
    }

    private func record(method: String, route: String, status: Int, since started: ContinuousClock.Instant) {
        // Hummingbird names an unmatched path "NotFound"; anything not a route pattern is one value.
        let route = route.hasPrefix("/") ? route.replacingOccurrences(of: ":channel", with: "{channel}") : "unmatched"
        registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "switchboard_http_requests", unitName: "total",
                                                              helpText: "HTTP requests answered, by method, route and status"),
                             labels: [("method", method), ("route", route), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: MetricNameDescriptor(metricName: "switchboard_http_request_duration", unitName: "seconds",
                                                                        helpText: "Time from a request's head to its answer"),
                                       labels: [("method", method), ("route", route)], buckets: Self.buckets)
            .record(ContinuousClock.now - started)
    }
}
