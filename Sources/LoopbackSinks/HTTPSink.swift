public import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP server on loopback (SwiftNIO) that answers every request with 200 and a JSON message
/// id, counting what it took: where the bench's wrk and notify worker post, and where the demo's
/// webhook providers deliver.
public final class HTTPSink: Sendable {
    /// The port it listens on, 127.0.0.1.
    public var port: Int { listener.port }
    private let listener: LoopbackListener
    private let counter = Counter()

    /// Listens on a free loopback port.
    public init() throws {
        let counter = counter
        listener = try LoopbackListener { pipeline in
            try pipeline.configureHTTPServerPipeline()
            try pipeline.addHandler(Accept(counter: counter))
        }
    }

    /// Requests answered so far.
    public var requests: Int { counter.value }

    public func stop() { listener.stop() }

    private final class Accept: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        private let counter: Counter
        private var keepAlive = true

        init(counter: Counter) { self.counter = counter }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): keepAlive = head.isKeepAlive
            case .body: break
            case .end:
                let number = counter.increment()
                let body = ByteBuffer(string: "{\"id\":\"sink-\(number)\"}")
                var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.readableBytes))])
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }
}

/// A server socket on a free loopback port whose connections get the handlers `configure` adds.
final class LoopbackListener: Sendable {
    let port: Int
    private let channel: any Channel

    init(_ configure: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void) throws {
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try configure(channel.pipeline.syncOperations) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    func stop() {
        try? channel.close().wait()
    }
}

/// A count shared by a sink's connections.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    /// Adds one; returns the new count.
    func increment() -> Int { count.add(1, ordering: .relaxed).newValue }

    var value: Int { count.load(ordering: .relaxed) }
}

/// Loopback ports.
public enum LoopbackPort {
    /// A port the kernel hands out for an ephemeral bind, free a moment ago.
    public static func free() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress?.port ?? 0
        try channel.close().wait()
        guard port > 0 else { throw LoopbackSinkError(description: "no free port on loopback") }
        return port
    }
}

/// A sink could not start.
public struct LoopbackSinkError: Error, CustomStringConvertible {
    public let description: String
}
