using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpStatus.Emulator;

/// <summary>
/// A throw-away certificate authority and a server certificate for 127.0.0.1 and localhost, so that the
/// emulator can speak HTTPS and clients can trust it through SSL_CERT_FILE.
/// </summary>
public static class TestCertificates
{
    public const string CaFile = "ca.pem";
    public const string ServerFile = "server.pfx";
    public const string BundleFile = "bundle.pem";

    private static readonly string[] SystemBundles =
    {
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    };

    /// <summary>Writes ca.pem, server.pfx and bundle.pem (the system's roots plus ca.pem) into a folder.</summary>
    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var now = DateTimeOffset.UtcNow;

        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=OpStatus Emulator Test Root", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        using var serverPublic = serverRequest.Create(ca, now.AddDays(-1), now.AddYears(1), serial);
        using var server = serverPublic.CopyWithPrivateKey(serverKey);

        var caPem = ca.ExportCertificatePem();
        File.WriteAllText(Path.Combine(folder, CaFile), caPem + "\n");
        File.WriteAllBytes(Path.Combine(folder, ServerFile), server.Export(X509ContentType.Pkcs12));

        // Start from the roots this machine already trusts, so that setting SSL_CERT_FILE to the bundle adds a root and removes none.
        var current = Environment.GetEnvironmentVariable("SSL_CERT_FILE");
        var system = current is { Length: > 0 } && File.Exists(current) && !Path.GetFullPath(current).StartsWith(Path.GetFullPath(folder), StringComparison.Ordinal)
            ? current
            : SystemBundles.FirstOrDefault(File.Exists);
        var bundle = (system is null ? string.Empty : File.ReadAllText(system).TrimEnd() + "\n") + caPem + "\n";
        File.WriteAllText(Path.Combine(folder, BundleFile), bundle);
    }

    /// <summary>Loads the server certificate written by Write.</summary>
    public static X509Certificate2 LoadServer(string folder)
    {
        var path = Path.Combine(folder, ServerFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No test certificate at {path}. Run 'OpStatus.Emulator make-certs {folder}' first.", path);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
    }
}
