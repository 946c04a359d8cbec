// Language support types that netstandard2.0 lacks; the compiler only needs their names.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
