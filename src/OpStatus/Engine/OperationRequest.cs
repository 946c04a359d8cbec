using System;

namespace OpStatus.Engine;

/// <summary>
/// Everything needed to read one operation status, and to read it again: the service, the full URL,
/// the token scope and the credential. Built once from the cmdlet's parameters.
/// </summary>
public sealed class OperationRequest
{
    public OperationRequest(AzureService service, Uri uri, string scope, CredentialSpec credential, string operationId)
    {
        Service = service;
        Uri = uri;
        Scope = scope;
        Credential = credential;
        OperationId = operationId;
    }

    public AzureService Service { get; }

    public Uri Uri { get; }

    public string Scope { get; }

    public CredentialSpec Credential { get; }

    /// <summary>The operation id as the user gave it.</summary>
    public string OperationId { get; }

    /// <summary>The same request, made with another credential.</summary>
    public OperationRequest WithCredential(CredentialSpec credential) => new(Service, Uri, Scope, credential, OperationId);

    public override string ToString() => $"{Service.Name} {Uri.AbsoluteUri}";
}
