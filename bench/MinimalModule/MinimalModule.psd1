@{
    RootModule        = 'MinimalModule.dll'
    ModuleVersion     = '1.0.0'
    GUID              = '0d6f1c2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5'
    CmdletsToExport   = @('Get-Nothing', 'Get-ShapedNothing')
    FunctionsToExport = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
