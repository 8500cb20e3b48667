import CHTMLText

/// Readable plain text from an HTML body, for HTML-only mail: libxml2's forgiving HTML parser
/// reads it; scripts, styles and the head are dropped, blocks become lines, list items get a dash,
/// links keep their address, and whitespace collapses as a browser would show it.
public enum HTMLText {
    public static func plainText(fromHTML html: String) -> String {
        var bytes = Array(html.utf8)
        guard !bytes.isEmpty else { return "" }
        let converted = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { sb_html_to_text($0.baseAddress, $0.count) }
        }
        guard let converted else { return "" }
        defer { sb_html_text_free(converted) }
        return String(cString: converted)
    }
}
