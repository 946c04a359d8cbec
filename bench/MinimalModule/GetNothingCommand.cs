using System.Management.Automation;

namespace MinimalModule;

[Cmdlet(VerbsCommon.Get, "Nothing")]
public sealed class GetNothingCommand : PSCmdlet
{
    protected override void ProcessRecord() => WriteObject(null);
}
