using System;
using System.Net.Sockets;
using System.Security.Authentication;

namespace OpStatus.Engine;

/// <summary>Transport failures that no retry can mend: a host name that does not resolve, a certificate that is not trusted.</summary>
internal static class PermanentFault
{
    /// <summary>The kind of permanent fault in an exception or any exception inside it, or null when there is none.</summary>
    public static FailureKind? Of(Exception? exception)
    {
        switch (exception)
        {
            case null:
                return null;
            case AggregateException aggregate:
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Of(inner) is { } kind)
                    {
                        return kind;
                    }
                }

                return null;
            case SocketException socket when socket.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData:
                return FailureKind.NameResolution;
            // Only a failed certificate validation; other TLS failures (alerts, protocol mismatches) may pass.
            case AuthenticationException tls when tls.Message.IndexOf("certificate", StringComparison.OrdinalIgnoreCase) >= 0:
                return FailureKind.Certificate;
            default:
                return Of(exception.InnerException);
        }
    }

    /// <summary>What to tell the user about a permanent fault of a request to a host.</summary>
    /// <param name="endpointParameters">The parameters that name the host, in words: "-Endpoint (or -DevCenterName)", "the URL".</param>
    public static string Explain(FailureKind kind, string serviceName, Uri uri, string endpointParameters) => kind == FailureKind.NameResolution
        ? $"The host name '{uri.Host}' of the {serviceName} service could not be resolved, so no request was sent. Check the spelling of {endpointParameters}, and that this machine's DNS resolves it."
        : $"The TLS certificate of {uri.GetLeftPart(UriPartial.Authority)} is not trusted, so no request was sent. If a proxy inspects TLS, trust its root certificate; on Linux .NET reads extra roots from the file named by SSL_CERT_FILE, when the process starts.";
}
