/// Trimming whitespace by Unicode scalar, for the parsers' hot paths.
///
/// Foundation's `trimmingCharacters(in:)` bridges through NSString and UTF-16 on Linux; measured
/// in the ingest worker, it took about 15 % of the CPU spent on a message. These give the same
/// results for the two sets the parsers use (a test compares them scalar by scalar).
extension StringProtocol {
    /// Without leading and trailing whitespace and line breaks: the scalars with Unicode's
    /// White_Space property and U+200B (zero width space), which is Foundation's
    /// `CharacterSet.whitespacesAndNewlines`.
    public func trimmingWhitespace() -> String {
        Substring(self).trimming { $0.properties.isWhitespace || $0 == "\u{200B}" }
    }

    /// Without leading and trailing spaces and tabs, keeping line breaks: Foundation's
    /// `CharacterSet.whitespaces` (space separators, the tab and U+200B).
    public func trimmingSpaces() -> String {
        Substring(self).trimming { $0 == "\t" || $0 == "\u{200B}" || $0.properties.generalCategory == .spaceSeparator }
    }
}

extension Substring {
    fileprivate func trimming(_ isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }),
              let last = scalars.lastIndex(where: { !isTrimmed($0) }) else { return "" }
        return String(Substring(scalars[first...last]))
    }
}
