using OpStatus.Emulator;

// OpStatus.Emulator make-certs <folder>
// OpStatus.Emulator serve --certs <folder> [--port N] [--token-port N]
if (args.Length >= 2 && args[0] == "make-certs")
{
    TestCertificates.Write(args[1]);
    Console.WriteLine($"Wrote {TestCertificates.CaFile}, {TestCertificates.ServerFile} and {TestCertificates.BundleFile} to {Path.GetFullPath(args[1])}.");
    Console.WriteLine($"Trust them in a new process with: export SSL_CERT_FILE={Path.GetFullPath(Path.Combine(args[1], TestCertificates.BundleFile))}");
    return 0;
}

if (args.Length >= 1 && args[0] == "serve")
{
    string? certs = null;
    int port = 0, tokenPort = 0;
    for (var i = 1; i + 1 < args.Length; i += 2)
    {
        switch (args[i])
        {
            case "--certs": certs = args[i + 1]; break;
            case "--port": port = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
            case "--token-port": tokenPort = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        }
    }

    if (certs is null)
    {
        Console.Error.WriteLine("serve needs --certs <folder> (make one with: make-certs <folder>).");
        return 2;
    }

    await using var emulator = await AzureEmulator.StartAsync(certs, port, tokenPort);
    Console.WriteLine($"EMULATOR_URL={emulator.BaseUri}");
    Console.WriteLine($"IDENTITY_ENDPOINT={emulator.IdentityEndpoint}");
    Console.WriteLine($"IDENTITY_HEADER={emulator.IdentityHeader}");
    Console.WriteLine("READY");
    await emulator.WaitForShutdownAsync();
    return 0;
}

Console.Error.WriteLine("usage: OpStatus.Emulator make-certs <folder> | serve --certs <folder> [--port N] [--token-port N]");
return 2;
