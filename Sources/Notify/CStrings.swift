import Foundation

/// C copies of Swift strings that live as long as the arena, for filling the shims' C structs
/// without a closure per string. Keep the arena alive across the C call (`withExtendedLifetime`).
final class CStringArena {
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafePointer<CChar>?>] = []

    deinit {
        strings.forEach { free($0) }
        arrays.forEach { $0.deallocate() }
    }

    func c(_ string: String) -> UnsafePointer<CChar> {
        guard let copy = strdup(string) else { fatalError("out of memory copying a string for C") }
        strings.append(copy)
        return UnsafePointer(copy)
    }

    func c(_ string: String?) -> UnsafePointer<CChar>? {
        string.map { c($0) }
    }

    /// A C array of C strings.
    func c(_ list: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(list.count, 1))
        for (index, string) in list.enumerated() { array[index] = c(string) }
        arrays.append(array)
        return UnsafePointer(array)
    }
}
