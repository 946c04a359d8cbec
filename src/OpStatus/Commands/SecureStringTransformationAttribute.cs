using System;
using System.Management.Automation;
using System.Security;

namespace OpStatus.Commands;

/// <summary>
/// Lets -AccessToken take a SecureString, a plain string, or the object Get-AzAccessToken returns (its Token
/// property), and hands the cmdlet a read-only SecureString. The value is never echoed in an error.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class SecureStringTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is PSCustomObject or not (string or SecureString) && inputData is PSObject candidate
            && candidate.Properties["Token"]?.Value is { } token)
        {
            value = token is PSObject inner ? inner.BaseObject : token;
        }

        switch (value)
        {
            case null:
                return null;
            case SecureString secure:
                return secure;
            case string plain:
                var result = new SecureString();
                foreach (var c in plain)
                {
                    result.AppendChar(c);
                }

                result.MakeReadOnly();
                return result;
            default:
                throw new ArgumentTransformationMetadataException(
                    $"-AccessToken takes a SecureString, a string, or the object Get-AzAccessToken returns; a value of type {value.GetType().FullName} was given.");
        }
    }
}
