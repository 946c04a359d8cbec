global using OpStatus.Engine;
global using OpStatus.Engine.Tests.Fakes;
global using Xunit;
