public import NIOCore
import NIOPosix

/// An SMTP server on loopback (SwiftNIO) that accepts every message and keeps none, counting
/// them: where the demo's mail provider delivers. It speaks the part of RFC 5321 a client needs
/// to hand over mail — EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT — on connections kept for
/// many messages. (The bench measures against postfix's smtp-sink instead: the sink the
/// reference tool is measured with.)
public final class MailSink: Sendable {
    /// The port it listens on, 127.0.0.1.
    public var port: Int { listener.port }
    private let listener: LoopbackListener
    private let counter = Counter()

    /// Listens on a free loopback port.
    public init() throws {
        let counter = counter
        listener = try LoopbackListener { pipeline in try pipeline.addHandler(Session(counter: counter)) }
    }

    /// Messages accepted so far.
    public var messages: Int { counter.value }

    public func stop() { listener.stop() }

    /// One client's conversation: commands line by line, then the message until a lone dot.
    private final class Session: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let counter: Counter
        private var unread = ByteBuffer()
        private var inMessage = false

        init(counter: Counter) { self.counter = counter }

        func channelActive(context: ChannelHandlerContext) {
            reply("220 localhost Switchboard loopback mail sink", context)
            context.flush()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            unread.writeBuffer(&bytes)
            while let line = nextLine() {
                if !handle(line, context) { break }
            }
            context.flush()
        }

        /// The next complete line, without its CRLF (or bare LF).
        private func nextLine() -> String? {
            guard let newline = unread.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let length = newline - unread.readerIndex
            var line = unread.readString(length: length) ?? ""
            unread.moveReaderIndex(forwardBy: 1)
            if line.hasSuffix("\r") { line.removeLast() }
            return line
        }

        /// Answers one line; false once the session is over.
        private func handle(_ line: String, _ context: ChannelHandlerContext) -> Bool {
            if inMessage {
                if line == "." {
                    inMessage = false
                    let number = counter.increment()
                    reply("250 2.0.0 accepted as message \(number)", context)
                }
                return true
            }
            switch line.prefix(4).uppercased() {
            case "EHLO": reply("250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8", context)
            case "HELO": reply("250 localhost", context)
            case "MAIL", "RCPT", "RSET", "NOOP": reply("250 2.0.0 OK", context)
            case "DATA":
                inMessage = true
                reply("354 end the message with a lone dot", context)
            case "QUIT":
                reply("221 2.0.0 bye", context)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: nil)
                context.close(promise: nil)
                return false
            default: reply("502 5.5.2 not implemented here", context)
            }
            return true
        }

        private func reply(_ text: String, _ context: ChannelHandlerContext) {
            context.write(wrapOutboundOut(ByteBuffer(string: text + "\r\n")), promise: nil)
        }
    }
}
