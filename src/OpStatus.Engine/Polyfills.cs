// Language support types that netstandard2.0 lacks; the compiler only needs their names.
#if !NET5_0_OR_GREATER
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
#endif
