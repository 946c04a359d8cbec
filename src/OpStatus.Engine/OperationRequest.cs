using System;

namespace OpStatus.Engine;

/// <summary>
/// Everything needed to read one operation status, and to read it again: the service, the full URL,
/// the token scope and the credential. Built once from the cmdlet's parameters.
/// </summary>
public sealed class OperationRequest
{
    public OperationRequest(AzureService service, AzureCloud cloud, Uri uri, string scope, CredentialSpec credential, string operationId)
    {
        Service = service;
        Cloud = cloud;
        Uri = uri;
        Scope = scope;
        Credential = credential;
        OperationId = operationId;
    }

    public AzureService Service { get; }

    /// <summary>The cloud whose authority signs in for this request.</summary>
    public AzureCloud Cloud { get; }

    public Uri Uri { get; }

    public string Scope { get; }

    public CredentialSpec Credential { get; }

    /// <summary>The operation id as the user gave it.</summary>
    public string OperationId { get; }

    /// <summary>The request a status was read with, to read it again the same way.</summary>
    public static OperationRequest Of(OperationStatus status) => (OperationRequest)status.Source;

    /// <summary>The same request, made with another credential.</summary>
    public OperationRequest WithCredential(CredentialSpec credential) => new(Service, Cloud, Uri, Scope, credential, OperationId);

    public override string ToString() => $"{Service.Name} {Uri.AbsoluteUri}";
}
